"""`GET /v1/workflows/logs`, message feedback (`POST /v1/messages/{id}/feedbacks`,
`GET /v1/app/feedbacks`, the `feedback` of `GET /v1/messages`), conversation variables
(`GET/PUT /v1/conversations/{id}/variables`) and `GET /v1/messages/{id}/suggested`, in
process with a worker, real runs against a fake model server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from flowstead.dsl.dify.context import stable_id
from flowstead.store.protocol import Store
from tests.fakes import ErrorStatus, FakeModelServer
from tests.integration.api.conftest import (
    ADMIN,
    Client,
    add_provider,
    assert_error,
    chat_document,
    llm_document,
    published_app,
)
from tests.integration.api.conftest import openai_server as openai_server
from tests.integration.api.conftest import worker as worker

pytestmark = pytest.mark.usefixtures("worker")

Key = dict[str, str]
LOGS = "/v1/workflows/logs"
FEEDBACKS = "/v1/app/feedbacks"
TURNS_ID = stable_id("conversation", "turns")


# --- workflow logs -----------------------------------------------------------------------


@pytest.fixture
async def llm_app(client: Client, openai_server: FakeModelServer) -> tuple[str, Key]:
    await add_provider(client, openai_server)
    workflow, key = await published_app(client, document=llm_document())
    return workflow["id"], key


async def run(client: Client, key: Key, question: str, user: str = "alice") -> dict[str, Any]:
    body = {"inputs": {"question": question}, "user": user, "response_mode": "blocking"}
    response = await client.post("/v1/workflows/run", json=body, headers=key)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def logs(client: Client, key: Key, **params: Any) -> dict[str, Any]:
    response = await client.get(LOGS, params=params, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def run_ids(page: dict[str, Any]) -> list[str]:
    return [item["workflow_run"]["id"] for item in page["data"]]


@pytest.fixture
async def logged(
    client: Client, llm_app: tuple[str, Key], openai_server: FakeModelServer
) -> tuple[Key, list[dict[str, Any]]]:
    """Four runs of the published app, oldest first: three succeed, the third fails."""
    workflow_id, key = llm_app
    runs = [
        await run(client, key, "alpha question"),
        await run(client, key, "beta question", user="bob"),
    ]
    openai_server.enqueue(ErrorStatus(401, "invalid api key"))
    runs.append(await run(client, key, "gamma question"))
    runs.append(await run(client, key, "delta question", user="carol"))
    assert [r["status"] for r in runs] == ["succeeded", "succeeded", "failed", "succeeded"]
    # Not in the logs: a run of the draft, and another app's run.
    draft = {"inputs": {"question": "draft"}, "user": "alice"}
    started = await client.post(f"/api/workflows/{workflow_id}/runs", json=draft, headers=ADMIN)
    assert started.status_code == 201, started.text
    _other, other_key = await published_app(client, document=llm_document())
    await run(client, other_key, "elsewhere")
    return key, runs


async def test_logs_page_newest_first_with_total_and_has_more(
    client: Client, logged: tuple[Key, list[dict[str, Any]]]
) -> None:
    key, runs = logged
    newest_first = [r["id"] for r in reversed(runs)]

    first = await logs(client, key, limit=3)
    second = await logs(client, key, limit=3, page=2)
    beyond = await logs(client, key, limit=3, page=3)

    assert (first["page"], first["limit"], first["total"], first["has_more"]) == (1, 3, 4, True)
    assert run_ids(first) == newest_first[:3]
    assert (second["total"], second["has_more"], run_ids(second)) == (4, False, newest_first[3:])
    assert (beyond["data"], beyond["has_more"]) == ([], False)
    assert run_ids(await logs(client, key)) == newest_first  # 20 a page by default


async def test_a_log_entry_in_difys_shape(
    client: Client, logged: tuple[Key, list[dict[str, Any]]]
) -> None:
    key, runs = logged
    entry = (await logs(client, key, limit=1))["data"][0]
    newest = runs[-1]

    assert set(entry) == {
        "id", "workflow_run", "details", "created_from", "created_by_role",
        "created_by_account", "created_by_end_user", "created_at",
    }  # fmt: skip
    assert set(entry["workflow_run"]) == {
        "id", "version", "status", "triggered_from", "error", "elapsed_time", "total_tokens",
        "total_steps", "created_at", "finished_at", "exceptions_count",
    }  # fmt: skip
    assert entry["id"] == entry["workflow_run"]["id"] == newest["id"]
    assert entry["workflow_run"]["version"] == "1"
    assert entry["workflow_run"]["total_tokens"] == newest["total_tokens"] > 0
    assert entry["workflow_run"]["created_at"] == newest["created_at"] == entry["created_at"]
    assert entry["workflow_run"]["finished_at"] >= entry["created_at"]
    assert entry["workflow_run"]["exceptions_count"] == 0
    assert entry["created_from"] == "service-api"
    assert (entry["created_by_role"], entry["created_by_account"]) == ("end_user", None)
    end_user = entry["created_by_end_user"]
    assert (end_user["type"], end_user["session_id"], end_user["is_anonymous"]) == (
        "service_api",
        "carol",
        False,
    )
    # One end user per app and `user`: the same id on each of their runs.
    alices = (await logs(client, key, created_by_end_user_session_id="alice"))["data"]
    assert len({item["created_by_end_user"]["id"] for item in alices}) == 1
    assert alices[0]["created_by_end_user"]["id"] != end_user["id"]


async def test_logs_filtered_by_status(
    client: Client, logged: tuple[Key, list[dict[str, Any]]]
) -> None:
    key, runs = logged

    failed = await logs(client, key, status="failed")
    succeeded = await logs(client, key, status="succeeded")

    assert (run_ids(failed), failed["total"]) == ([runs[2]["id"]], 1)
    assert failed["data"][0]["workflow_run"]["status"] == "failed"
    assert "invalid api key" in failed["data"][0]["workflow_run"]["error"]
    assert run_ids(succeeded) == [runs[3]["id"], runs[1]["id"], runs[0]["id"]]
    assert (await logs(client, key, status="stopped"))["total"] == 0
    assert (await logs(client, key, status="running"))["total"] == 0
    refused = await client.get(LOGS, params={"status": "done"}, headers=key)
    assert_error(refused, 400, "invalid_param")


async def test_logs_filtered_by_keyword(
    client: Client, logged: tuple[Key, list[dict[str, Any]]]
) -> None:
    key, runs = logged

    async def found(keyword: str) -> list[str]:
        return run_ids(await logs(client, key, keyword=keyword))

    assert await found("ALPHA") == [runs[0]["id"]]  # an input, any case
    assert await found("You said: beta") == [runs[1]["id"]]  # an output
    assert await found("carol") == [runs[3]["id"]]  # the user
    assert await found(runs[2]["id"]) == [runs[2]["id"]]  # the run's id
    assert await found("question") == [r["id"] for r in reversed(runs)]
    assert await found("nothing like it") == []
    # Like Dify, only the first 30 characters count: these are in every answer.
    answered = [runs[3]["id"], runs[1]["id"], runs[0]["id"]]
    assert await found("Hello from the fake model. You never said this") == answered


async def test_logs_filtered_by_time_and_end_user(
    client: Client, store: Store, logged: tuple[Key, list[dict[str, Any]]]
) -> None:
    key, runs = logged
    times = []
    for item in runs:
        stored = await store.runs.get(item["id"])
        assert stored is not None
        times.append(stored.created_at)

    def between(earlier: int) -> datetime:
        """A moment between two neighbouring runs, in UTC."""
        return datetime.fromtimestamp((times[earlier] + times[earlier + 1]) / 2, UTC)

    after = await logs(client, key, created_at__after=between(0).isoformat())
    before = await logs(client, key, created_at__before=between(1).replace(tzinfo=None).isoformat())
    zulu = between(1).isoformat().replace("+00:00", "Z")
    lisbon = between(1).astimezone(timezone(timedelta(hours=2))).isoformat()

    assert run_ids(after) == [runs[3]["id"], runs[2]["id"], runs[1]["id"]]
    assert run_ids(before) == [runs[1]["id"], runs[0]["id"]]  # no offset: UTC
    assert run_ids(await logs(client, key, created_at__before=zulu)) == run_ids(before)
    assert run_ids(await logs(client, key, created_at__before=lisbon)) == run_ids(before)
    window = await logs(
        client, key, created_at__after=between(0).isoformat(), created_at__before=zulu
    )
    assert run_ids(window) == [runs[1]["id"]]
    bobs = await logs(client, key, created_by_end_user_session_id="bob")
    assert (run_ids(bobs), bobs["total"]) == ([runs[1]["id"]], 1)
    combined = await logs(client, key, status="succeeded", created_by_end_user_session_id="alice")
    assert run_ids(combined) == [runs[0]["id"]]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"page": 0}, "page"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"created_at__after": "yesterday"}, "created_at__after"),
        ({"created_at__before": "2024-13-01"}, "created_at__before"),
        ({"created_by_account": "ada@example.com"}, "ada@example.com"),
    ],
)
async def test_bad_log_queries_are_400s(
    client: Client, llm_app: tuple[str, Key], params: dict[str, Any], named: str
) -> None:
    _workflow_id, key = llm_app
    message = assert_error(await client.get(LOGS, params=params, headers=key), 400)
    assert named in message


async def test_logs_need_an_app_key(client: Client) -> None:
    assert_error(await client.get(LOGS), 401)


# --- chat: feedback, variables, suggestions ----------------------------------------------


def chat_with_variables() -> dict[str, Any]:
    """The chat document (it counts the turns in `turns`) with two more variables."""
    document = chat_document()
    document["conversation_variables"] = [
        {"name": "turns", "type": "number", "default": 0, "description": "Turns so far"},
        {"name": "topic", "type": "string", "default": "none", "description": "The subject"},
        {"name": "tags", "type": "array[string]"},
    ]
    return document


@pytest.fixture
async def chat_key(client: Client, openai_server: FakeModelServer) -> Key:
    await add_provider(client, openai_server)
    _workflow, key = await published_app(client, document=chat_with_variables())
    return key


async def send(
    client: Client, key: Key, query: str, user: str = "alice", **body: Any
) -> dict[str, Any]:
    payload = {"query": query, "user": user, "inputs": {}} | body
    response = await client.post("/v1/chat-messages", json=payload, headers=key)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def rate(client: Client, key: Key, message_id: str, **body: Any) -> Any:
    payload = {"user": "alice"} | body
    return await client.post(f"/v1/messages/{message_id}/feedbacks", json=payload, headers=key)


async def messages(client: Client, key: Key, conversation_id: str) -> list[dict[str, Any]]:
    params = {"conversation_id": conversation_id, "user": "alice"}
    response = await client.get("/v1/messages", params=params, headers=key)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def test_a_like_is_listed_shown_on_the_message_and_revoked(
    client: Client, chat_key: Key
) -> None:
    first = await send(client, chat_key, "hello")
    second = await send(client, chat_key, "again", conversation_id=first["conversation_id"])

    liked = await rate(client, chat_key, first["message_id"], rating="like", content="clear")

    assert liked.status_code == 200, liked.text
    assert liked.json() == {"result": "success"}
    listed = (await client.get(FEEDBACKS, headers=chat_key)).json()["data"]
    assert len(listed) == 1
    item = listed[0]
    assert set(item) == {
        "id", "app_id", "conversation_id", "message_id", "rating", "content", "from_source",
        "from_end_user_id", "from_account_id", "created_at", "updated_at",
    }  # fmt: skip
    assert (item["message_id"], item["conversation_id"]) == (
        first["message_id"],
        first["conversation_id"],
    )
    assert (item["rating"], item["content"], item["from_source"]) == ("like", "clear", "user")
    assert item["from_account_id"] is None
    assert datetime.fromisoformat(item["created_at"]).tzinfo is None  # Dify's naive UTC
    shown = await messages(client, chat_key, first["conversation_id"])
    assert [m["feedback"] for m in shown] == [{"rating": "like"}, None]

    disliked = await rate(client, chat_key, second["message_id"], rating="dislike")
    assert disliked.status_code == 200
    again = await rate(client, chat_key, first["message_id"], rating="dislike", content="no")
    assert again.status_code == 200
    listed = (await client.get(FEEDBACKS, headers=chat_key)).json()["data"]
    assert [(f["message_id"], f["rating"]) for f in listed] == [
        (second["message_id"], "dislike"),
        (first["message_id"], "dislike"),
    ]
    assert listed[1]["id"] == item["id"]  # the same feedback, rated again
    paged = await client.get(FEEDBACKS, params={"page": 2, "limit": 1}, headers=chat_key)
    assert [f["message_id"] for f in paged.json()["data"]] == [first["message_id"]]

    revoked = await rate(client, chat_key, first["message_id"], rating=None)
    assert revoked.json() == {"result": "success"}
    shown = await messages(client, chat_key, first["conversation_id"])
    assert [m["feedback"] for m in shown] == [None, {"rating": "dislike"}]
    listed = (await client.get(FEEDBACKS, headers=chat_key)).json()["data"]
    assert [f["message_id"] for f in listed] == [second["message_id"]]


async def test_feedback_on_a_message_not_the_users_or_apps_is_a_404(
    client: Client, store: Store, chat_key: Key
) -> None:
    answer = await send(client, chat_key, "mine")
    _other, other_key = await published_app(client, document=chat_with_variables())
    message_id = answer["message_id"]

    assert_error(await rate(client, chat_key, message_id, rating="like", user="bob"), 404)
    assert_error(await rate(client, other_key, message_id, rating="like"), 404, "not_found")
    missing = "00000000-0000-7000-8000-000000000000"
    assert_error(await rate(client, chat_key, missing, rating="like"), 404, "not_found")
    stored = await store.messages.answered_by(message_id)
    assert stored is not None
    assert await store.feedbacks.get(stored.id) is None
    # Its own id names the message too.
    assert (await rate(client, chat_key, stored.id, rating="like")).status_code == 200
    assert (await store.feedbacks.get(stored.id)) is not None


@pytest.mark.parametrize(
    "body",
    [
        {"user": "alice", "rating": "love"},
        {"user": "alice", "rating": 1},
        {"rating": "like"},
        {"user": "", "rating": "like"},
        {"user": "alice", "rating": "like", "content": 5},
    ],
)
async def test_a_bad_rating_is_a_400_and_stores_nothing(
    client: Client, store: Store, chat_key: Key, body: dict[str, Any]
) -> None:
    answer = await send(client, chat_key, "rate me")
    url = f"/v1/messages/{answer['message_id']}/feedbacks"

    assert_error(await client.post(url, json=body, headers=chat_key), 400, "invalid_param")

    stored = await store.messages.answered_by(answer["message_id"])
    assert stored is not None
    assert await store.feedbacks.get(stored.id) is None


async def test_revoking_a_rating_never_given_is_a_400(client: Client, chat_key: Key) -> None:
    answer = await send(client, chat_key, "no rating yet")
    refused = await rate(client, chat_key, answer["message_id"], rating=None)
    assert_error(refused, 400, "invalid_param")
    assert (await client.get(FEEDBACKS, headers=chat_key)).json()["data"] == []


async def variables(client: Client, key: Key, conversation_id: str, **params: Any) -> Any:
    params = {"user": "alice"} | params
    url = f"/v1/conversations/{conversation_id}/variables"
    return await client.get(url, params=params, headers=key)


async def test_variables_after_chat_turns(client: Client, chat_key: Key) -> None:
    first = await send(client, chat_key, "count me")
    conversation_id = first["conversation_id"]

    response = await variables(client, chat_key, conversation_id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["limit"], body["has_more"]) == (20, False)
    turns, topic, tags = body["data"]
    assert set(turns) == {
        "id", "name", "value_type", "value", "description", "created_at", "updated_at",
    }  # fmt: skip
    assert (turns["id"], turns["name"], turns["value_type"]) == (TURNS_ID, "turns", "number")
    assert (turns["value"], turns["description"]) == ("1", "Turns so far")  # assigned by the run
    assert (topic["value_type"], topic["value"]) == ("string", "none")  # the default
    assert (tags["value_type"], tags["value"]) == ("array[string]", "[]")  # the empty value
    assert isinstance(turns["created_at"], int)
    assert turns["updated_at"] >= turns["created_at"]

    await send(client, chat_key, "and again", conversation_id=conversation_id)
    again = (await variables(client, chat_key, conversation_id)).json()["data"]
    assert again[0]["value"] == "2"


async def test_variables_page_by_last_id_and_filter_by_name(client: Client, chat_key: Key) -> None:
    conversation_id = (await send(client, chat_key, "hi"))["conversation_id"]

    first = (await variables(client, chat_key, conversation_id, limit=2)).json()
    rest = (
        await variables(client, chat_key, conversation_id, last_id=first["data"][-1]["id"])
    ).json()
    named = (await variables(client, chat_key, conversation_id, variable_name="TOP")).json()

    assert ([v["name"] for v in first["data"]], first["has_more"]) == (["turns", "topic"], True)
    assert ([v["name"] for v in rest["data"]], rest["has_more"]) == (["tags"], False)
    assert [v["name"] for v in named["data"]] == ["topic"]
    unknown = await variables(client, chat_key, conversation_id, last_id="nope")
    assert_error(unknown, 404, "not_found")
    bad_name = await variables(client, chat_key, conversation_id, variable_name="a;b")
    assert_error(bad_name, 400, "invalid_param")


async def test_another_users_or_apps_conversation_variables_are_a_404(
    client: Client, chat_key: Key
) -> None:
    conversation_id = (await send(client, chat_key, "private"))["conversation_id"]
    _other, other_key = await published_app(client, document=chat_with_variables())
    url = f"/v1/conversations/{conversation_id}/variables/{TURNS_ID}"

    assert_error(await variables(client, chat_key, conversation_id, user="bob"), 404, "not_found")
    assert_error(await variables(client, other_key, conversation_id), 404)
    assert_error(await variables(client, chat_key, "no-such-conversation"), 404)
    put = await client.put(url, json={"user": "bob", "value": 7}, headers=chat_key)
    assert_error(put, 404, "not_found")
    no_user = await client.get(f"/v1/conversations/{conversation_id}/variables", headers=chat_key)
    assert_error(no_user, 400, "invalid_param")


async def test_updating_a_variable_checks_its_type_and_the_next_turn_uses_it(
    client: Client, chat_key: Key
) -> None:
    conversation_id = (await send(client, chat_key, "start"))["conversation_id"]
    url = f"/v1/conversations/{conversation_id}/variables/{TURNS_ID}"

    wrong = await client.put(url, json={"user": "alice", "value": "ten"}, headers=chat_key)
    message = assert_error(wrong, 400, "bad_request")
    assert message == "Type mismatch: variable 'turns' expects number, but got string type"
    boolean = await client.put(url, json={"user": "alice", "value": True}, headers=chat_key)
    assert_error(boolean, 400, "bad_request")
    listed = (await variables(client, chat_key, conversation_id)).json()["data"]
    assert listed[0]["value"] == "1"  # nothing was written

    updated = await client.put(url, json={"user": "alice", "value": 10}, headers=chat_key)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["id"], updated.json()["value"]) == (TURNS_ID, "10")
    answer = await send(client, chat_key, "next", conversation_id=conversation_id)
    assert answer["answer"].endswith("(turn 11)")

    tags_url = f"/v1/conversations/{conversation_id}/variables/{stable_id('conversation', 'tags')}"
    tags = await client.put(tags_url, json={"user": "alice", "value": ["a", "b"]}, headers=chat_key)
    assert tags.json()["value"] == '["a","b"]'
    mixed = await client.put(tags_url, json={"user": "alice", "value": ["a", 1]}, headers=chat_key)
    assert_error(mixed, 400, "bad_request")
    missing = url.replace(TURNS_ID, stable_id("conversation", "nope"))
    unknown = await client.put(missing, json={"user": "alice", "value": 1}, headers=chat_key)
    assert_error(unknown, 404, "not_found")
    no_value = await client.put(url, json={"user": "alice"}, headers=chat_key)
    assert_error(no_value, 400, "invalid_param")


async def test_suggested_questions_are_off_as_in_dify(client: Client, chat_key: Key) -> None:
    answer = await send(client, chat_key, "what next?")
    url = f"/v1/messages/{answer['message_id']}/suggested"

    disabled = await client.get(url, params={"user": "alice"}, headers=chat_key)

    assert assert_error(disabled, 400, "bad_request") == "Suggested Questions Is Disabled."
    assert_error(await client.get(url, params={"user": "bob"}, headers=chat_key), 404)
    assert_error(await client.get(url, headers=chat_key), 400, "invalid_param")
    missing = "/v1/messages/00000000-0000-7000-8000-000000000000/suggested?user=alice"
    assert_error(await client.get(missing, headers=chat_key), 404, "not_found")


async def test_the_routes_are_in_the_openapi_schema(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    assert "get" in paths["/v1/workflows/logs"]
    assert "post" in paths["/v1/messages/{message_id}/feedbacks"]
    assert "get" in paths["/v1/messages/{message_id}/suggested"]
    assert "get" in paths["/v1/app/feedbacks"]
    assert "get" in paths["/v1/conversations/{conversation_id}/variables"]
    assert "put" in paths["/v1/conversations/{conversation_id}/variables/{variable_id}"]
    logs_params = {p["name"] for p in paths["/v1/workflows/logs"]["get"]["parameters"]}
    assert {"page", "limit", "status", "keyword", "created_at__before"} <= logs_params
