"""What the routes share, kept on `app.state` by `create_app` and handed to each route as
a FastAPI dependency: `def route(answerer: AnswererDep)`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.server.answering import Answerer
from app.server.conversations import Conversations
from core.resources import Resources
from core.settings import Settings


def _answerer(request: Request) -> Answerer:
    return request.app.state.answerer


def _conversations(request: Request) -> Conversations:
    return request.app.state.conversations


def _resources(request: Request) -> Resources:
    return request.app.state.answerer.resources


def _settings(request: Request) -> Settings:
    return request.app.state.settings


AnswererDep = Annotated[Answerer, Depends(_answerer)]
ConversationsDep = Annotated[Conversations, Depends(_conversations)]
ResourcesDep = Annotated[Resources, Depends(_resources)]
SettingsDep = Annotated[Settings, Depends(_settings)]
