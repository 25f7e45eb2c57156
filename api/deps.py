"""Dependencies as ``Annotated`` aliases, so route signatures read plainly."""

from __future__ import annotations

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends
from starlette.requests import HTTPConnection

from api.complaint_producer import ComplaintProducer
from config.settings import Settings
from privacy import PiiRedactor

__all__ = ["ProducerDep", "RedactorDep", "RedisDep", "SettingsDep"]


def _settings(request: HTTPConnection) -> Settings:
    return request.app.state.settings


def _producer(request: HTTPConnection) -> ComplaintProducer:
    return request.app.state.producer


def _redis(request: HTTPConnection) -> aioredis.Redis:
    return request.app.state.redis


def _redactor(request: HTTPConnection) -> PiiRedactor:
    return request.app.state.redactor


SettingsDep = Annotated[Settings, Depends(_settings)]
#: Personal data out of every text before it is produced (``privacy``).
RedactorDep = Annotated[PiiRedactor, Depends(_redactor)]
ProducerDep = Annotated[ComplaintProducer, Depends(_producer)]
RedisDep = Annotated[aioredis.Redis, Depends(_redis)]
