"""The frame every page shares (templates/base.html, issue 13): the page's language on <html>, the
"Skip to content" link, one main landmark, a labelled menu that folds behind a button on phones,
the favicon linked, and /favicon.ico answered rather than a 404 on every page view."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from tests.factories import make_reviewer

pytestmark = pytest.mark.django_db


def test_every_page_has_the_language_a_skip_link_one_main_a_labelled_menu_and_the_favicon(client):
    page = client.get("/").content.decode()
    assert re.search(r'<html lang="en" dir="ltr">', page)
    body = page[page.index("<body>") + len("<body>"):].lstrip()
    # The first thing a keyboard reaches: the link past the menu to the content.
    assert body.startswith('<a class="skip-link visually-hidden-focusable" href="#main">Skip to content</a>')
    assert page.count("<main") == 1 and '<main id="main" ' in page
    assert '<nav class="navbar navbar-expand-md navbar-dark bg-dark mb-4" aria-label="Main menu">' in page
    # On a phone the links fold away behind the toggler, which names what it opens.
    assert ('<button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#site-menu"\n'
            '            aria-controls="site-menu" aria-expanded="false" aria-label="Show or hide the menu">') in page
    assert '<div class="collapse navbar-collapse" id="site-menu">' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in page
    assert "Log out" not in page


def test_a_logged_in_reviewer_has_the_account_link_and_log_out_in_the_menu(client):
    client.force_login(make_reviewer("tm", ["trademark"]).user)
    page = client.get("/").content.decode()
    menu = page[page.index('id="site-menu"'):page.index("</nav>")]
    assert 'title="Two-factor log-in">tm</a>' in menu
    assert '<button class="btn btn-outline-light btn-sm" type="submit" id="logout">Log out</button>' in menu
    assert ">Review queue</a>" in menu


def test_the_page_says_the_language_it_is_rendered_in():
    request = RequestFactory().get("/")
    with translation.override("de"):
        page = render_to_string("base.html", request=request)
    assert '<html lang="de" dir="ltr">' in page
    with translation.override("zh-hans"):
        assert '<html lang="zh-hans" dir="ltr">' in render_to_string("base.html", request=request)


def test_favicon_ico_is_answered_with_the_icon_not_a_404(client):
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (302, "/static/favicon.ico")
    # The icon itself: an ICO file (reserved 0, type 1) holding PNG images, and the SVG it was drawn from.
    icon = Path(finders.find("favicon.ico")).read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00" and b"\x89PNG" in icon
    svg = Path(finders.find("favicon.svg")).read_text(encoding="utf-8")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"')
