"""Lever environment presets and configuration overrides."""

from __future__ import annotations

import pytest

from dashboard.lever.api.environments import ENVIRONMENTS, environment_from_config, local_environment


def test_presets_follow_the_host_table():
    prod = ENVIRONMENTS["production"]
    assert prod.api_url == "https://api.lever.co/v1"
    assert prod.authorize_url == "https://auth.lever.co/authorize"
    assert prod.token_url == "https://auth.lever.co/oauth/token"
    assert prod.audience == "https://api.lever.co/v1/"
    assert prod.hire_url == "https://hire.lever.co"
    sandbox = ENVIRONMENTS["sandbox"]
    assert sandbox.api_url == "https://api.sandbox.lever.co/v1"
    assert sandbox.authorize_url == "https://sandbox-lever.auth0.com/authorize"
    assert sandbox.token_url == "https://sandbox-lever.auth0.com/oauth/token"
    assert sandbox.hire_url == "https://hire.sandbox.lever.co"
    assert ENVIRONMENTS["eu"].api_url == "https://api.eu.lever.co/v1"
    assert ENVIRONMENTS["eu"].hire_url == "https://hire.eu.lever.co"


def test_local_uses_the_sandbox_port():
    env = environment_from_config({"LEVER_ENV": "local", "SANDBOX_PORT": 5123})
    assert env == local_environment(5123)
    assert env.api_url == "http://127.0.0.1:5123/v1"
    assert env.authorize_url == "http://127.0.0.1:5123/authorize"
    assert env.token_url == "http://127.0.0.1:5123/oauth/token"
    assert env.audience == "http://127.0.0.1:5123/v1/"
    assert env.hire_url == "http://127.0.0.1:5123"


def test_default_is_local_and_custom_is_an_alias():
    assert environment_from_config({}).name == "local"
    assert environment_from_config({"LEVER_ENV": "custom", "SANDBOX_PORT": 5001}).api_url.endswith(":5001/v1")


def test_each_url_can_be_overridden():
    env = environment_from_config({
        "LEVER_ENV": "production",
        "LEVER_API_URL": "https://proxy.example.com/lever/v1/",
        "LEVER_AUTHORIZE_URL": "https://auth.example.com/authorize",
        "LEVER_TOKEN_URL": "https://auth.example.com/oauth/token",
        "LEVER_AUDIENCE": "https://api.lever.co/v1/",
        "LEVER_HIRE_URL": "https://hire.example.com/",
    })
    assert env.name == "production"
    assert env.api_url == "https://proxy.example.com/lever/v1"
    assert env.authorize_url == "https://auth.example.com/authorize"
    assert env.token_url == "https://auth.example.com/oauth/token"
    assert env.audience == "https://api.lever.co/v1/"
    assert env.hire_url == "https://hire.example.com"


def test_empty_overrides_are_ignored():
    assert environment_from_config({"LEVER_ENV": "sandbox", "LEVER_API_URL": ""}) == ENVIRONMENTS["sandbox"]


def test_local_audience_follows_an_overridden_api_url():
    env = environment_from_config({"LEVER_ENV": "local", "LEVER_API_URL": "http://127.0.0.1:6000/v1"})
    assert env.audience == "http://127.0.0.1:6000/v1/"


def test_unknown_environment_is_a_clear_error():
    with pytest.raises(ValueError, match="LEVER_ENV must be one of"):
        environment_from_config({"LEVER_ENV": "staging"})


def test_malformed_url_is_a_clear_error():
    with pytest.raises(ValueError, match="LEVER_TOKEN_URL"):
        environment_from_config({"LEVER_ENV": "production", "LEVER_TOKEN_URL": "auth.lever.co/oauth/token"})
