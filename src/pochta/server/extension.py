"""``pochta serve``'s settings into the parts around the store: pipeline, webhook, tag rules.

:func:`start_extensions` reads ``--smtp-relay-config``, ``--smtp-forward-config``,
``--tag`` and ``--tags-config`` (and the ``POCHTA_SMTP_RELAY_*`` /
``POCHTA_SMTP_FORWARD_*`` variables), checks them together, and starts the
webhook and the tag rules; :meth:`Extensions.close` stops them. Nothing
leaves the machine unless one of these is configured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pochta.config import Settings
from pochta.exceptions import ConfigurationError, ServeError
from pochta.server.api.feature import Features
from pochta.server.pipeline import Pipeline
from pochta.server.relay.config import load_forward_config, load_relay_config
from pochta.server.tagrule import TagRule, TagRules, load_tags_config, parse_tag_rules
from pochta.server.webhook import Webhook
from pochta.store import Store

__all__ = ["Extensions", "start_extensions"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Extensions:
    """The running parts around the store, and what the routes are told of them."""

    pipeline: Pipeline
    features: Features
    webhook: Webhook | None = None
    tag_rules: TagRules | None = None

    def close(self) -> None:
        """Stop the tag rules, the webhook (what is queued is dropped) and the relay threads."""
        if self.tag_rules is not None:
            self.tag_rules.close()
        if self.webhook is not None:
            self.webhook.close()
        self.pipeline.close()


def _pipeline(store: Store, settings: Settings, environ: Mapping[str, str]) -> Pipeline:
    relay = load_relay_config(settings.smtp_relay_config, environ)
    forward = load_forward_config(settings.smtp_forward_config, environ)
    matching = settings.smtp_relay_matching
    if (settings.smtp_relay_all or matching) and relay is None:
        raise ConfigurationError(
            "[relay] a relay configuration must be set to auto-relay any messages; "
            "give --smtp-relay-config FILE"
        )
    if settings.smtp_relay_all and matching:
        logger.warning("--smtp-relay-matching is ignored: --smtp-relay-all relays everything")
        matching = ""
    if settings.smtp_ignore_rejected_recipients and not settings.smtp_allowed_recipients:
        logger.warning(
            "--smtp-ignore-rejected-recipients does nothing without --smtp-allowed-recipients"
        )
    return Pipeline(
        store,
        relay=relay,
        relay_all=settings.smtp_relay_all,
        relay_matching=re.compile(matching) if matching else None,
        forward=forward,
        ignore_duplicate_ids=settings.ignore_duplicate_ids,
        routing=settings.routing,
    )


def _rules(settings: Settings) -> tuple[TagRule, ...]:
    rules = parse_tag_rules(settings.tag)
    if settings.tags_config is not None:
        rules += load_tags_config(settings.tags_config)
    return rules


def start_extensions(store: Store, settings: Settings, environ: Mapping[str, str]) -> Extensions:
    """Read and check the relay, forward, tag and webhook settings, and start them.

    Raises :class:`~pochta.exceptions.ServeError` with the fix when one is wrong.
    """
    try:
        pipeline = _pipeline(store, settings, environ)
        rules = _rules(settings)
    except ConfigurationError as error:
        raise ServeError(str(error)) from None
    webhook = None
    if settings.webhook_url:
        webhook = Webhook(
            settings.webhook_url,
            limit=settings.webhook_limit,
            delay=float(settings.webhook_delay),
            label=settings.label,
        )
        webhook.start(None if rules else store)
    tag_rules = None
    if rules:
        then = webhook.offer if webhook is not None else None
        tag_rules = TagRules(store, rules, then=then)
    features = Features(
        relay=pipeline.relay,
        label=settings.label,
        duplicates_ignored=settings.ignore_duplicate_ids,
        deliver=pipeline.deliver,
    )
    if pipeline.relay is not None:
        logger.info("release is on: messages can be sent via %s", pipeline.relay.upstream.address)
    return Extensions(pipeline, features, webhook, tag_rules)
