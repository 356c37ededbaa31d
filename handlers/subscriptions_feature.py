"""The subscriptions feature's declaration: topics to follow and the upcoming events."""

from __future__ import annotations

from handlers import subscriptions
from handlers.kit.feature import Command, Feature, MenuEntry

feature = Feature(
    name="subscriptions",
    routers=lambda: (subscriptions.router,),
    menu=MenuEntry("subscriptions", order=50),
    commands=(Command("subscriptions", order=50), Command("events", order=60)),
)
