"""GET /api/v1/team: the caller's team as the policy sees it, so the demo offers only messages
the server accepts (every listed recipient is accepted; nobody outside the team is listed)."""

from __future__ import annotations

from tests.api.test_rest import Api, api, assert_error

__all__ = ["api"]


async def test_supervisor_sees_their_enumerators_by_name_and_may_broadcast(api: Api) -> None:
    token = (await api.login("sup.lga-01"))["access_token"]
    r = await api.http.get("/team", headers=api.auth(token))
    assert r.status_code == 200, r.text
    team = r.json()
    assert team["me"]["login"] == "sup.lga-01" and team["can_broadcast"] is True
    assert [p["login"] for p in team["recipients"]] == ["enum.lga-01.001", "enum.lga-01.002"]
    assert {p["role"] for p in team["recipients"]} == {"enumerator"}
    assert team["recipients"][0]["name"] == "Enumerator 1 lga-01"


async def test_every_listed_recipient_is_accepted_by_the_policy(api: Api) -> None:
    for login in ("sup.lga-01", "enum.lga-01.002", "enum.lga-02.001"):
        token = (await api.login(login))["access_token"]
        team = (await api.http.get("/team", headers=api.auth(token))).json()
        assert team["can_send"] and team["recipients"], login
        lga = login.split(".")[1]
        for person in team["recipients"]:
            assert api.users[person["login"]].lga_id == lga
            r = await api.http.post(
                "/messages",
                json={
                    "to": person["id"],
                    "body": "hi",
                    "client_msg_id": f"{login}-{person['login']}",
                },
                headers=api.auth(token),
            )
            assert r.status_code == 201, (login, person, r.text)


async def test_a_role_outside_messaging_gets_no_recipients_and_may_not_send(api: Api) -> None:
    token = (await api.login("public-user.lga-01"))["access_token"]
    team = (await api.http.get("/team", headers=api.auth(token))).json()
    assert team["can_send"] is False and team["recipients"] == []
    assert team["can_broadcast"] is False


async def test_needs_a_token(api: Api) -> None:
    assert_error(await api.http.get("/team"), 401, "AUTH_REQUIRED")
