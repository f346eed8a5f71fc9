"""The composer: golden structure of the email (parsed with beautifulsoup4) and its text part."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from linked.compose import ComposedEmail, Composer, fill, greeting
from linked.compose.templates import environment
from linked.edition import load_edition
from linked.settings import Settings
from tests.fixtures.generated import generate_edition
from tests.fixtures.project import EditionFactory

VALUES = {"greeting": "Hello Sam,", "unsubscribe_url": "https://bulletin.example.org/unsubscribe/T"}


@pytest.fixture
def composed(settings: Settings, example_edition: Path) -> ComposedEmail:
    return Composer(settings).edition(load_edition(example_edition, settings.zone))


def soup_of(composed: ComposedEmail) -> BeautifulSoup:
    return BeautifulSoup(fill(composed.html, VALUES, html_escape=True), "html.parser")


def test_document_shell(composed: ComposedEmail) -> None:
    soup = soup_of(composed)
    html = soup.find("html")
    assert isinstance(html, Tag) and html["lang"] == "en-GB"
    assert soup.find("meta", attrs={"name": "color-scheme"})
    assert soup.title is not None and soup.title.string == composed.subject
    # No third-party fonts: mjml-python adds Google Fonts unless told not to.
    assert "fonts.googleapis.com" not in composed.html
    assert 'width="600"' in composed.html or "max-width:600px" in composed.html


def test_headings_and_contents_list(
    composed: ComposedEmail, example_edition: Path, settings: Settings
) -> None:
    edition = load_edition(example_edition, settings.zone)
    soup = soup_of(composed)
    h1s = soup.find_all("h1")
    assert [h.get_text() for h in h1s] == [edition.title]
    contents = next(h for h in soup.find_all("h2") if h.get_text() == "In this edition")
    items = contents.find_next("ul").find_all("a")
    assert [a.get_text() for a in items] == [a.title for a in edition.articles]
    page = f"{settings.base_url}/editions/{edition.slug}/"
    for link, article in zip(items, edition.articles, strict=True):
        # In-page anchors fail in several clients: each entry opens the archive page at it.
        assert link["href"] == f"{page}#{article.anchor}"
        target = soup.find(id=article.anchor)
        assert target is not None and target.get_text() == article.title
    # The section heading is an h2 and its articles are h3 beneath it.
    section = next(h for h in soup.find_all("h2") if h.get_text() == "Coming to a place near you")
    assert section.find_next(re.compile("^h[23]$")).name == "h3"
    levels = [int(h.name[1]) for h in soup.find_all(re.compile("^h[1-6]$"))]
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


def test_images_buttons_and_footer(
    composed: ComposedEmail, example_edition: Path, settings: Settings
) -> None:
    edition = load_edition(example_edition, settings.zone)
    soup = soup_of(composed)
    images = soup.find_all("img")
    assert images and all(img.get("alt") for img in images)
    srcs = {img["src"] for img in images}
    assert "http://testserver/static/logo.png" in srcs
    for image in edition.images:
        assert f"http://testserver/editions/2021-05/{image}" in srcs
    hrefs = {a.get("href") for a in soup.find_all("a")}
    for article in edition.articles:
        for link in article.links:
            assert link.url in hrefs
    assert "http://testserver/editions/2021-05/" in hrefs  # view in browser
    assert VALUES["unsubscribe_url"] in hrefs
    assert settings.contact in soup.get_text()
    assert "Hello Sam," in soup.get_text()


def test_preheader_is_hidden_without_colour_tricks(composed: ComposedEmail) -> None:
    soup = soup_of(composed)
    assert composed.preheader
    hidden = next(d for d in soup.find_all("div") if d.get_text(strip=True) == composed.preheader)
    style = hidden["style"]
    assert "display:none" in style and "color" not in style and "font-size" not in style


def test_text_part_from_the_same_source(
    composed: ComposedEmail, example_edition: Path, settings: Settings
) -> None:
    edition = load_edition(example_edition, settings.zone)
    text = fill(composed.text, VALUES, html_escape=False)
    assert "<" not in text.replace("<Angle>", "")  # no HTML leaked into the text part
    for article in edition.articles:
        assert article.title in text
        for link in article.links:
            assert link.url in text
    assert "dscp@durham.gov.uk" in text
    assert VALUES["unsubscribe_url"] in text
    assert "View this edition in your browser: http://testserver/editions/2021-05/" in text
    assert "**" not in text and "](" not in text  # Markdown syntax is rendered, not shown


def test_slots_stay_until_filled(composed: ComposedEmail) -> None:
    assert "%%LINKED_GREETING%%" in composed.html and "%%LINKED_UNSUBSCRIBE_URL%%" in composed.html
    assert "%%LINKED_UNSUBSCRIBE_URL%%" in composed.text
    filled = fill(
        composed.html,
        {"greeting": greeting("<b>Eve</b>"), "unsubscribe_url": "u"},
        html_escape=True,
    )
    assert "%%LINKED_" not in filled
    assert "Hello &lt;b&gt;Eve&lt;/b&gt;," in filled


def test_article_markdown_is_escaped_and_absolutised(
    settings: Settings, write_edition: EditionFactory
) -> None:
    folder = write_edition(
        {
            "edition.md": "---\ntitle: T\ndate: 2021-01-01\n---\nHi <script>alert(1)</script>\n",
            "01-a.md": "---\ntitle: 'A & <b>'\n---\n# Big\n\n![Chart](images/a.png) [Doc](files/doc.pdf)\n",
        },
        images=("images/a.png",),
    )
    composed = Composer(settings).edition(load_edition(folder))
    soup = soup_of(composed)
    assert soup.find("script") is None
    assert "&lt;script&gt;" in composed.html
    assert soup.find(id="a").get_text() == "A & <b>"
    assert soup.find("h3", string="Big")  # a body's h1 sits below the article's h2
    chart = soup.find("img", alt="Chart")
    assert chart["src"] == "http://testserver/editions/test-edition/images/a.png"
    assert "max-width:100%" in chart["style"]  # a wide photo shrinks to a phone's column
    assert (
        soup.find("a", string="Doc")["href"]
        == "http://testserver/editions/test-edition/files/doc.pdf"
    )


@pytest.mark.parametrize("seed", range(12))
def test_any_documented_edition_composes_within_limits(
    settings: Settings, write_edition: EditionFactory, seed: int
) -> None:
    edition = load_edition(generate_edition(write_edition, seed))
    composed = Composer(settings).edition(edition)
    html = fill(composed.html, VALUES, html_escape=True)
    assert len(html.encode()) < 102 * 1024
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("html")["lang"] == "en-GB"
    assert all(img.get("alt") for img in soup.find_all("img"))
    text = fill(composed.text, VALUES, html_escape=False)
    for article in edition.articles:
        assert article.title in text
        assert article.title in soup.get_text()
        for link in article.links:
            assert link.url in text
    for url in re.findall(r"\]\((https?://[^)]+)\)", "\n".join(a.body for a in edition.articles)):
        assert url in text


TABLE_EDITION = {
    "edition.md": "---\ntitle: T\ndate: 2021-06-25\n---\n"
    "Hello. Our site is www.durham-scp.org.uk and [the plan](https://example.org/plan).\n",
    "01-a.md": "---\ntitle: Training\n---\n"
    "Book at [the portal](https://example.org/portal).\n\n"
    "| Course | Date | Places |\n"
    "|:--|:-:|--:|\n"
    "| Neglect [details](https://example.org/neglect) | 1 June | 20 |\n"
    "| Early help | 15 June 2021 | 5 |\n\n"
    "Questions? https://example.org/faq\n",
}


def test_tables_render_as_email_safe_tables_and_aligned_text(
    settings: Settings, write_edition: EditionFactory
) -> None:
    composed = Composer(settings).edition(load_edition(write_edition(TABLE_EDITION)))
    soup = soup_of(composed)
    table = soup.find("th", string="Course").find_parent("table")
    assert table["cellpadding"] == "0" and "border-collapse:collapse" in table["style"]
    headers = table.find_all("th")
    assert [(h.get_text(), h["scope"]) for h in headers] == [
        ("Course", "col"),
        ("Date", "col"),
        ("Places", "col"),
    ]
    # Styles are inline (mail clients drop stylesheets); alignment comes from |:-:| and |--:|.
    cells = table.find("tbody").find("tr").find_all("td")
    assert [c["style"].rsplit(";", 2)[-2] for c in cells] == [
        "text-align:left",
        "text-align:center",
        "text-align:right",
    ]
    assert all("word-break:break-word" in a["style"] for a in table.find_all("a"))
    text = fill(composed.text, VALUES, html_escape=False)
    assert (
        "Course                   Date      Places\n"
        "-------------------  ------------  ------\n"
        "Neglect details [3]     1 June         20\n"
        "Early help           15 June 2021       5\n"
    ) in text


def test_bare_urls_become_links_and_text_references_run_in_reading_order(
    settings: Settings, write_edition: EditionFactory
) -> None:
    composed = Composer(settings).edition(load_edition(write_edition(TABLE_EDITION)))
    hrefs = [a["href"] for a in soup_of(composed).find_all("a")]
    # A bare www. address links over https; a bare https:// URL links as it is.
    assert "https://www.durham-scp.org.uk" in hrefs
    assert "https://example.org/faq" in hrefs
    text = fill(composed.text, VALUES, html_escape=False)
    assert "Our site is https://www.durham-scp.org.uk and the plan [1]." in text
    assert "Questions? https://example.org/faq" in text
    numbers = [int(n) for n in re.findall(r"\[(\d+)\] https://", text)]
    assert numbers == [1, 2, 3]  # welcome first, then the article, top to bottom
    assert text.index("[1] https://example.org/plan") < text.index("Book at the portal [2]")
    assert "[2] https://example.org/portal" in text and "[3] https://example.org/neglect" in text


def test_compiled_templates_are_kept_but_a_changed_template_is_compiled_again(
    tmp_path: Path,
) -> None:
    settings = Settings(root=tmp_path)
    template = tmp_path / "templates" / "email" / "probe.txt.j2"
    template.parent.mkdir(parents=True)
    template.write_text("first {{ 1 + 1 }}")
    assert environment(settings).get_template("email/probe.txt.j2").render() == "first 2"
    template.write_text("second {{ 2 + 2 }}")
    assert environment(settings).get_template("email/probe.txt.j2").render() == "second 4"
