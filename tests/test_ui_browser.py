"""End to end in a real browser: Playwright (Python) driving Debian's headless chromium.

The first question is answered by the real local LLM (real embedder, real Chroma, the sample
articles), so streaming, citations and the checked answer are the real thing; later questions switch
the UI to extractive answers to keep the run short on two shared cores. The injection test ingests,
through the upload control, an article full of HTML and checks that none of it runs.
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, make_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
ANSWER_MS = 240_000  # the local LLM takes 5-15 s per answer alone, far more on busy shared cores
UI_MS = 30_000

# Every change of the newest bot message's text, recorded in the page (polling could miss some).
RECORD_TEXTS = """() => {
  window.__nrTexts = [];
  const chat = document.querySelector('#nr-chat');
  const note = () => {
    const msgs = chat.querySelectorAll('[data-testid="bot"]');
    const text = msgs.length ? msgs[msgs.length - 1].innerText : '';
    const all = window.__nrTexts;
    if (all[all.length - 1] !== text) all.push(text);
  };
  new MutationObserver(note).observe(chat, {subtree: true, childList: true, characterData: true});
}"""
# Done: as many bot messages as questions asked, the last neither a placeholder nor streaming.
ANSWERED = """(n) => {
  const msgs = document.querySelectorAll('#nr-chat [data-testid="bot"]');
  if (msgs.length < n) return false;
  const text = msgs[msgs.length - 1].innerText.trim();
  return text !== '' && text !== '…' && !text.includes('▍');
}"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def serve(bot):
    from ui.chat import LAUNCH_OPTIONS, build_app

    app = build_app(bot)
    port = free_port()
    app.queue(default_concurrency_limit=1)
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, **LAUNCH_OPTIONS)
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_MS)
    yield page
    context.close()


def open_app(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#nr-question textarea")
    page.evaluate(RECORD_TEXTS)


def ask(page, question: str, nth: int) -> str:
    """Ask the ``nth`` question (1-based); the final text of the answer."""
    page.fill("#nr-question textarea", question)
    page.click("#nr-send")
    page.wait_for_function(ANSWERED, arg=nth, timeout=ANSWER_MS)
    return page.locator('#nr-chat [data-testid="bot"]').last.inner_text()


def open_accordion(page, elem_id: str) -> None:
    page.locator(f"#{elem_id} > button, #{elem_id} .label-wrap").first.click()


@pytest.fixture(scope="module")
def local_bot(sample_home, real_embeddings, local_llm):
    from newsrag.chatbot import Chatbot

    return Chatbot(make_settings(sample_home, answer_mode="local"), embeddings=real_embeddings, llm=local_llm)


@pytest.mark.llm
def test_chat_streams_cites_highlights_follows_up_and_abstains(local_bot, page):
    from playwright.sync_api import expect

    app, url = serve(local_bot)
    try:
        open_app(page, url)
        ARTIFACTS.mkdir(exist_ok=True)

        # 1. A Dutch question, answered by the real local LLM, streamed token by token.
        final = ask(page, "Hoeveel extra geld zegde Blinken de regio toe?", 1)
        streamed = [t for t in page.evaluate("window.__nrTexts") if "▍" in t]
        assert len(streamed) >= 2, f"no streaming seen: {streamed}"
        assert "25" in final
        citation = page.locator('#nr-chat [data-testid="bot"] a[href^="#src-"]').first
        expect(citation).to_be_visible()

        # The citation opens its source: the quote is highlighted inside the article text.
        citation.click()
        card = page.locator(citation.get_attribute("href"))
        expect(card).to_be_in_viewport()
        expect(card.locator("mark").filter(has_text="25 miljoen dollar")).to_be_visible()
        assert page.url.rstrip("/") == url.rstrip("/")  # handled in the page, no navigation
        page.screenshot(path=str(ARTIFACTS / "chat-first-answer.png"), full_page=True)

        # 2. Extractive answers from here on (the mode control), and a question the articles cannot answer.
        open_accordion(page, "nr-settings")
        page.get_by_text("Extractief (zonder LLM)").click()
        open_accordion(page, "nr-settings")  # closed again
        final = ask(page, "Wie won de Tour de France in 2022?", 2)
        assert "Dat staat niet in de artikelen." in final
        expect(page.locator("#nr-chat .nr-abstain").last).to_contain_text("Dat staat niet in de artikelen.")

        # 3. A follow-up leaning on the previous question: "Waarom dit antwoord" shows the query run.
        ask(page, "Welke groep ontmoette Blinken in Centraal-Azië?", 3)
        ask(page, "Hoeveel geld zegde hij daar toe?", 4)
        open_accordion(page, "nr-why-accordion")
        query = page.locator("#nr-why .nr-query")
        expect(query).to_contain_text("Welke groep ontmoette Blinken in Centraal-Azië?")
        expect(query).to_contain_text("Hoeveel geld zegde hij daar toe?")
        expect(page.locator("#nr-why")).to_contain_text("retrieve")
        expect(page.locator("#nr-sources .nr-cited mark").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    finally:
        app.close()


def test_article_html_is_shown_as_text_and_never_runs(page, tmp_path, fake_embeddings):
    from playwright.sync_api import expect

    from newsrag.chatbot import Chatbot

    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="extractive", min_score=0.0),
                  embeddings=fake_embeddings)
    upload = tmp_path / "upload"
    upload.mkdir()
    article = upload / "zwolle.md"
    article.write_text(
        "# Begroting Zwolle <b>vet</b>\n\n"
        "De gemeenteraad van Zwolle besprak de begroting <script>window.__pwned=1</script> op dinsdag.\n\n"
        'Het tekort van Zwolle is 3 miljoen euro <img src=x onerror="window.__pwned=2"> volgens de wethouder.\n\n'
        "Meer over de begroting van Zwolle: [klik hier](javascript:window.__pwned=3).\n", encoding="utf-8")
    (upload / "leeg.txt").write_text("")
    app, url = serve(bot)
    try:
        open_app(page, url)
        # Ingest through the upload control; the status line names the skipped file.
        open_accordion(page, "nr-upload")
        page.set_input_files("#nr-files input[type=file]", [str(article), str(upload / "leeg.txt")])
        status = page.locator("#nr-ingest-status")
        expect(status).to_contain_text("1 added", timeout=60_000)
        expect(status).to_contain_text("leeg.txt: empty file")

        ask(page, "Hoe groot is het tekort van Zwolle volgens de wethouder?", 1)
        page.locator('#nr-chat [data-testid="bot"] a[href^="#src-"]').first.click()
        panel = page.locator("#nr-sources")
        expect(panel.locator(".nr-cited mark").first).to_be_visible()
        expect(panel.locator(".nr-cited .nr-article")).to_contain_text("<script>window.__pwned=1</script>")
        expect(panel.locator(".nr-cited .nr-article")).to_contain_text('<img src=x onerror="window.__pwned=2">')
        expect(panel.locator(".nr-cited .nr-title")).to_have_text("Begroting Zwolle <b>vet</b>")
        expect(page.get_by_text("<script>", exact=False).first).to_be_visible()
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("#nr-sources script, #nr-sources img, #nr-chat script, #nr-chat img[src=x]").count() == 0
        assert page.locator('a[href^="javascript:"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "chat-injection.png"), full_page=True)
    finally:
        app.close()


def test_why_view_lists_the_sentences_that_lack_the_kind_of_answer_asked(page, tmp_path):
    # Local mode with a scripted judge that would say yes to anything about containers: the sentences
    # hold no number, so none is put to it; the refusal says why and the why-view lists them, as text.
    from playwright.sync_api import expect

    from newsrag.chatbot import Chatbot
    from tests.conftest import write_corpus
    from tests.fakes import BagOfWordsEmbeddings, recording_llm, yes_when

    corpus = write_corpus(tmp_path / "corpus", {
        "haven.txt": " date 2022-05 De haven van Rotterdam groeide.\n\n"
                     "De haven van Rotterdam verwerkte meer <b>containers</b> dan ooit.\n\n"
                     "De containers kwamen vooral uit Azië.",
    })
    llm = recording_llm("De haven verwerkte meer containers dan ooit [1].", yes=yes_when("containers"))
    bot = Chatbot(make_settings(tmp_path / "home", answer_mode="local", min_score=0.1, retriever="dense", k=3),
                  embeddings=BagOfWordsEmbeddings(), llm=llm)
    bot.ingest([corpus])
    app, url = serve(bot)
    try:
        open_app(page, url)
        final = ask(page, "Hoeveel containers verwerkte de haven van Rotterdam?", 1)
        assert "Dat staat niet in de artikelen." in final
        open_accordion(page, "nr-why-accordion")
        why = page.locator("#nr-why")
        expect(why).to_contain_text("Niet voorgelegd")
        expect(why.locator(".nr-reason")).to_have_text("geen zin noemt een aantal")  # in the question's language
        expect(why.locator("li.nr-dim").filter(has_text="meer <b>containers</b> dan ooit")).to_be_visible()
        assert why.locator("b").count() == 0  # article text shown as text
        page.screenshot(path=str(ARTIFACTS / "chat-why-lacking.png"), full_page=True)
    finally:
        app.close()
