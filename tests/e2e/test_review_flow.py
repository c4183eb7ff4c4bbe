"""The privacy review in a real browser (Dutch portal), with three users and a visitor.

An editor creates a dataset through CKAN's form and submits it on its Privacy tab; the
privacy officer finds it in the review queue and requests a change; the editor edits the
dataset and submits again; the officer fills in the checklist and approves with
conditions; the coordinator publishes it. An anonymous visitor cannot see the dataset
before publication and sees it afterwards. A screenshot of every step is saved (directory
printed; ``E2E_SCREENSHOTS`` overrides it).
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PASSWORDS = {
    "redacteur": "Redacteur-Zaanstad-2026",
    "privacy-officer": "Privacy-Zaanstad-2026",
    "coordinator": "Coordinator-Zaanstad-2026",
}
TITLE = "Meldingen openbare ruimte 2025"
NAME = "meldingen-openbare-ruimte-2025"


@pytest.fixture
def shots() -> Iterator[Callable[[Any, str], None]]:
    directory = pathlib.Path(
        os.environ.get("E2E_SCREENSHOTS") or ROOT / ".dev" / "artifacts" / "review_flow")
    directory.mkdir(parents=True, exist_ok=True)
    taken: list[str] = []

    def shot(page: Any, name: str) -> None:
        path = directory / f"{len(taken) + 1:02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(str(path))

    yield shot
    print(f"\nreview flow screenshots ({len(taken)}) in {directory}")
    for path in taken:
        print("  " + path)


@pytest.fixture
def municipality(
    clean_db: None, clean_index: None, migrate_db_for: Callable[..., None]
) -> dict[str, Any]:
    from ckan.tests import factories, helpers

    migrate_db_for("gemeente_privacy")
    admin = factories.Sysadmin(name="beheerder")
    users = {name: factories.User(name=name, password=pw, email=f"{name}@zaanstad.example.nl")
             for name, pw in PASSWORDS.items()}
    org = factories.Organization(
        name="openbare-ruimte", title="Openbare Ruimte",
        users=[{"name": "redacteur", "capacity": "editor"}])
    ctx = {"user": admin["name"], "ignore_auth": False}
    helpers.call_action("gemeente_review_role_grant", context=dict(ctx),
                        user="privacy-officer", role="privacy_officer")
    helpers.call_action("gemeente_review_role_grant", context=dict(ctx),
                        user="coordinator", role="coordinator")
    return {"admin": admin, "org": org, **users}


def login(browser: Any, base: str, user: str) -> Any:
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/user/login")
    page.fill("#field-login", user)
    page.fill("#field-password", PASSWORDS[user])
    with page.expect_navigation():
        page.locator("form button.btn-primary[type=submit]").first.click()
    assert "/user/login" not in page.url, f"login of {user} failed"
    return page


def click_step(page: Any, step: str) -> None:
    with page.expect_navigation():
        page.locator(f"button[name=transition][value={step}]").click()


def review_state(page: Any) -> str:
    return page.locator(".gemeente-review").get_attribute("data-review-state") or ""


@pytest.mark.ckan_config("ckan.plugins", "gemeente_privacy")
@pytest.mark.ckan_config("ckan.locale_default", "nl")
@pytest.mark.usefixtures("with_plugins")
class TestReviewFlow:
    def test_editor_officer_coordinator_visitor(
        self, live_server: str, browser: Any, municipality: dict, shots: Callable
    ) -> None:
        base = live_server
        visitor = browser.new_context(locale="nl-NL").new_page()

        # --- the editor creates the dataset through CKAN's form
        editor = login(browser, base, "redacteur")
        editor.goto(f"{base}/dataset/new")
        options = editor.locator("#field-private option")
        assert options.count() == 1 and options.first.get_attribute("value") == "True"
        assert "privacybeoordeling" in editor.content()
        editor.fill("#field-title", TITLE)
        editor.fill("#field-notes", "Meldingen van bewoners over straat, groen en afval.")
        shots(editor, "editor_new_dataset")
        with editor.expect_navigation():
            editor.locator("button.btn-primary[name=save]").first.click()
        if "/resource/new" not in editor.url:
            shots(editor, "editor_new_dataset_failed")
        assert editor.url.endswith(f"/dataset/{NAME}/resource/new"), editor.url
        link = editor.locator("#resource-link-button")
        if link.count() and link.first.is_visible():
            link.first.click()
        editor.locator("#field-resource-url, #field-image-url").first.fill(
            "https://data.zaanstad.example.nl/meldingen/meldingen-2025.csv")
        editor.fill("#field-name", "Meldingen 2025 (CSV)")
        editor.click("button[name=save][value=go-metadata]")
        editor.wait_for_url(f"**/dataset/{NAME}")

        # --- ... and submits it on the Privacy tab
        editor.click(f"a[href='/dataset/{NAME}/privacy']")
        editor.wait_for_url(f"**/dataset/{NAME}/privacy")
        assert review_state(editor) == "concept"
        editor.fill("#field-submit-comment", "Nieuwe dataset, graag beoordelen.")
        shots(editor, "editor_submits")
        click_step(editor, "submit")
        assert review_state(editor) == "ingediend"

        # the visitor cannot see it
        resp = visitor.goto(f"{base}/dataset/{NAME}")
        assert resp.status == 404
        visitor.goto(f"{base}/dataset/")
        assert TITLE not in visitor.content()

        # --- the privacy officer finds it in the queue and requests a change
        officer = login(browser, base, "privacy-officer")
        officer.goto(f"{base}/gemeente/review")
        row = officer.locator(f"tr[data-package='{NAME}']")
        assert row.count() == 1
        assert "Ingediend" in row.inner_text()
        shots(officer, "officer_queue")
        with officer.expect_navigation():
            row.locator("a").first.click()
        assert "Nieuwe dataset, graag beoordelen." in officer.content()
        officer.check("#field-personal_data-true")
        officer.check("#field-personal_data_categories-locatie")
        officer.fill("#field-comment", "Graag de huisnummers uit de locaties weglaten.")
        shots(officer, "officer_requests_change")
        click_step(officer, "request_changes")
        assert review_state(officer) == "wijziging_gevraagd"

        # --- the editor reads the request, changes the dataset and submits again
        editor.goto(f"{base}/dataset/{NAME}/privacy")
        assert "Graag de huisnummers uit de locaties weglaten." in editor.content()
        assert review_state(editor) == "wijziging_gevraagd"
        editor.goto(f"{base}/dataset/edit/{NAME}")
        editor.fill("#field-notes", "Meldingen van bewoners per buurt (zonder huisnummers).")
        with editor.expect_navigation():
            editor.locator("button.btn-primary[name=save]").first.click()
        editor.goto(f"{base}/dataset/{NAME}/privacy")
        editor.fill("#field-submit-comment", "Huisnummers verwijderd.")
        click_step(editor, "submit")
        assert review_state(editor) == "ingediend"
        shots(editor, "editor_resubmitted")

        # --- the officer approves with conditions; a first try without a legal basis is
        # refused with the field marked and the answers kept
        officer.goto(f"{base}/dataset/{NAME}/privacy")
        officer.check("#field-personal_data-true")
        officer.check("#field-personal_data_categories-locatie")
        officer.check("#field-bsn-false")
        officer.check("#field-measure-geaggregeerd")
        officer.check("#field-dpia-niet_nodig")
        officer.fill("#field-retention", "5 jaar na afloop van het kalenderjaar")
        officer.fill("#field-legal_basis", "")
        officer.fill("#field-conditions", "Alleen per buurt; aantallen onder 10 onderdrukken.")
        click_step(officer, "approve")
        assert officer.locator(".error-block[data-field=legal_basis]").count() == 1
        assert officer.locator("#field-measure-geaggregeerd").is_checked()
        assert "aantallen onder 10" in officer.locator("#field-conditions").input_value()
        shots(officer, "officer_form_error")
        officer.fill("#field-legal_basis", "AVG art. 6 lid 1 sub e (publieke taak)")
        officer.fill("#field-comment", "Akkoord onder voorwaarden.")
        click_step(officer, "approve")
        assert review_state(officer) == "privacy_goedgekeurd"
        shots(officer, "officer_approved")

        # still not public
        assert visitor.goto(f"{base}/dataset/{NAME}").status == 404

        # --- the coordinator publishes it
        coordinator = login(browser, base, "coordinator")
        coordinator.goto(f"{base}/gemeente/review?state=privacy_goedgekeurd")
        assert coordinator.locator(f"tr[data-package='{NAME}']").count() == 1
        coordinator.goto(f"{base}/dataset/{NAME}/privacy")
        assert "aantallen onder 10 onderdrukken" in coordinator.content()
        shots(coordinator, "coordinator_publishes")
        click_step(coordinator, "publish")
        assert review_state(coordinator) == "gepubliceerd"
        history = coordinator.locator("#review-history").inner_text()
        for who in ("redacteur", "privacy-officer", "coordinator"):
            assert who in history, who

        # --- the visitor now sees it, in the list and on its page
        resp = visitor.goto(f"{base}/dataset/{NAME}")
        assert resp.status == 200
        assert TITLE in visitor.content()
        shots(visitor, "visitor_sees_dataset")
        visitor.goto(f"{base}/dataset/")
        assert TITLE in visitor.content()
        for page in (editor, officer, coordinator, visitor):
            page.context.close()
