"""`engram serve`'s web view in a real browser: Debian's Chromium, headless, driven by
Selenium through Debian's ChromeDriver. On the example memory: recall and search answer, an
entity's neighbourhood is drawn (asserted and inferred edges told apart, confidences on the
inferred, a merged class as one node), an edge's proof is a tree, the violations and the rule
files with per-rule counts are listed; without a token the page asks for one; what the store
holds is shown as text, never run as markup.

Environment beside the harness's: CHROMIUM (default /usr/bin/chromium), CHROMEDRIVER
(default /usr/bin/chromedriver); SCREENSHOTS, a directory to save each page to."""

import os
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from harness import EXAMPLE, run
from served import READ, WRITE, Served, rest


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    # As this machine kind runs Chromium: headless, as root without the sandbox, and without
    # the background connections a closed network refuses.
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='engram-chromium-')}",
                 "--window-size=1400,1000"]:
        options.add_argument(flag)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def loaded(served):
    """The example memory imported into the served store."""
    with open(EXAMPLE) as f, rest(served) as http:
        r = http.post("/v1/import", content=f.read())
        assert r.status_code == 200, r.text


def wait(driver, condition, what, timeout=20):
    return WebDriverWait(driver, timeout).until(condition, message=what)


def shot(driver, name):
    if os.environ.get("SCREENSHOTS"):
        driver.save_screenshot(os.path.join(os.environ["SCREENSHOTS"], f"{name}.png"))


def click(driver, element):
    """A click as a user's: on SVG shapes too, which WebDriver's own click may not reach."""
    driver.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", element)


def visible(driver, id):
    return wait(driver, seen.visibility_of_element_located((By.ID, id)), f"#{id} shown")


def ask(driver, text, button):
    """Asks, and waits for the answer to this question (not the results shown before)."""
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.ID, button).click()
    heading = f"{button.capitalize()}:"
    wait(driver, lambda d: d.find_element(By.ID, "results-title").text.startswith(heading)
         and f"“{text}”" in d.find_element(By.ID, "results-title").text, f"{button} {text}")


def open_hit(driver, title):
    """Clicks the result titled `title` and waits for its graph."""
    hit = wait(driver, lambda d: next(
        (b for b in d.find_elements(By.CSS_SELECTOR, "#hits .hit-title") if b.text == title),
        None), f"a hit titled {title}")
    hit.click()
    visible(driver, "graph")
    wait(driver, lambda d: d.find_element(By.ID, "graph-title").text.startswith("Around"),
         "the graph drawn")


async def the_page_shows_recall_graphs_proofs_violations_and_rules():
    with Served() as served:
        loaded(served)
        driver = browser()
        try:
            # The token in the address's fragment (never sent to the server), then dropped.
            driver.get(f"{served.base}/#token={READ}")
            wait(driver, lambda d: "facts" in d.find_element(By.ID, "stats").text, "the stats")
            assert "token" not in driver.current_url, driver.current_url

            # Recall: hits, each with why.
            ask(driver, "intermittent ledger errors", "recall")
            visible(driver, "results")
            hits = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#hits li"), "hits")
            assert "Recall" in driver.find_element(By.ID, "results-title").text
            first = hits[0].find_element(By.CSS_SELECTOR, ".hit-title").text
            assert "ledger" in first.lower(), first
            assert "matched" in hits[0].find_element(By.CSS_SELECTOR, ".why").text
            shot(driver, "recall")

            # A neighbourhood: asserted and inferred edges, confidences on the inferred.
            ask(driver, "ledger-api", "search")
            open_hit(driver, "ledger-api")
            assert driver.find_element(By.ID, "graph-title").text == "Around ledger-api"
            nodes = driver.find_elements(By.CSS_SELECTOR, "#graph-svg g.node")
            assert len(nodes) > 3, len(nodes)
            centre = driver.find_elements(By.CSS_SELECTOR, "#graph-svg g.node.centre")
            assert [c.get_attribute("data-name") for c in centre] == ["ledger-api"]
            inferred = driver.find_elements(By.CSS_SELECTOR, "#graph-svg g.edge.inferred:not(.between)")
            asserted = driver.find_elements(By.CSS_SELECTOR, "#graph-svg g.edge:not(.inferred):not(.between)")
            assert inferred and asserted, (len(inferred), len(asserted))
            label = inferred[0].find_element(By.TAG_NAME, "text").get_attribute("textContent")
            confidence = float(label.rsplit(" ", 1)[1])
            assert 0 < confidence <= 1, label
            dashed = driver.execute_script(
                "return getComputedStyle(arguments[0]).strokeDasharray",
                inferred[0].find_element(By.TAG_NAME, "line"))
            assert dashed not in ("", "none"), dashed
            shot(driver, "graph")

            # An inferred edge's proof, as a tree down to what was asserted.
            fact = inferred[0].get_attribute("data-fact")
            click(driver, inferred[0])
            visible(driver, "proof")
            wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#proof-tree .tree li"),
                 "the proof tree")
            assert driver.find_element(By.ID, "proof-title").text == f"Proof of {fact}"
            steps = driver.find_elements(By.CSS_SELECTOR, "#proof-tree li")
            assert len(steps) >= 2, len(steps)
            rules = [s.text for s in driver.find_elements(By.CSS_SELECTOR, "#proof-tree .rule")]
            assert "asserted" in rules, rules
            assert driver.find_elements(By.CSS_SELECTOR, "#proof-tree details ul li")
            shot(driver, "proof")

            # A merged class is one node, named by its class, the other names listed.
            ask(driver, "kubernetes", "search")
            open_hit(driver, "Kubernetes")
            merged = driver.find_element(By.ID, "graph-merged").text
            assert "kubernetes" in merged.split(": ", 1)[1].split(", "), merged
            names = [n.get_attribute("data-name")
                     for n in driver.find_elements(By.CSS_SELECTOR, "#graph-svg g.node")]
            assert "Kubernetes" in names and "kubernetes" not in names, names

            # The violations, each with its proof.
            driver.find_element(By.CSS_SELECTOR, '.tab[data-view="violations"]').click()
            found = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#violation-list > li"),
                         "the violations")
            assert "confirms_and_contradicts" in found[0].text, found[0].text
            assert found[0].find_elements(By.CSS_SELECTOR, ".tree li")
            shot(driver, "violations")

            # The rule files, and a file's rules with what each derived.
            driver.find_element(By.CSS_SELECTOR, '.tab[data-view="rules"]').click()
            rows = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#rule-files tbody tr"),
                        "the rule files")
            inverse = next(r for r in rows if r.text.startswith("inverse"))
            cells = inverse.find_elements(By.TAG_NAME, "td")
            assert int(cells[1].text) > 0 and int(cells[2].text) > 0, inverse.text
            cells[3].find_element(By.TAG_NAME, "button").click()
            counts = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#rule-counts tbody tr"),
                          "the rules of inverse")
            per_rule = [int(r.find_elements(By.TAG_NAME, "td")[3].text) for r in counts]
            assert len(per_rule) == int(cells[1].text) and sum(per_rule) == int(cells[2].text), \
                (per_rule, inverse.text)
            assert "reverse_uses" in driver.find_element(By.ID, "rule-counts").text
            assert "reverse_uses" in driver.find_element(By.ID, "rule-text").text
            shot(driver, "rules")
            assert not driver.find_element(By.ID, "error").text
        finally:
            driver.quit()


async def without_a_token_it_asks_for_one():
    with Served() as served:
        driver = browser()
        try:
            driver.get(f"{served.base}/")
            visible(driver, "token-form")
            field = driver.find_element(By.ID, "token-value")
            field.send_keys("not-a-token-of-this-server")
            field.submit()
            wait(driver, lambda d: "not one this server accepts" in
                 d.find_element(By.ID, "token-error").text, "the refusal shown")
            field.clear()
            field.send_keys(READ)
            field.submit()
            wait(driver, lambda d: "facts" in d.find_element(By.ID, "stats").text, "the stats")
            assert not driver.find_element(By.ID, "token-form").is_displayed()
        finally:
            driver.quit()


async def what_the_store_holds_is_shown_as_text():
    # A name that is markup, and an observation that is a script: shown as written.
    name = '<img src=x onerror="document.title=\'pwned\'">'
    with Served() as served:
        with rest(served, WRITE) as http:
            r = http.post("/v1/entities", json={"entities": [
                {"name": name, "entityType": "<b>type</b>",
                 "observations": ["<script>document.title='pwned'</script>"]}]})
            assert r.status_code == 200, r.text
            r = http.post("/v1/relate", json={"from": name, "type": "USES", "to": "<i>x</i>"})
            assert r.status_code == 200, r.text
        driver = browser()
        try:
            driver.get(f"{served.base}/#token={READ}")
            wait(driver, lambda d: "facts" in d.find_element(By.ID, "stats").text, "the stats")
            ask(driver, "onerror", "search")
            open_hit(driver, name)
            assert driver.find_elements(By.CSS_SELECTOR, "#graph-svg g.edge")
            for markup in ["#hits img", "#hits b", "#graph-svg img", "#graph-svg i"]:
                assert not driver.find_elements(By.CSS_SELECTOR, markup), markup
            assert driver.title == "engram", driver.title
        finally:
            driver.quit()


if __name__ == "__main__":
    run([
        the_page_shows_recall_graphs_proofs_violations_and_rules,
        without_a_token_it_asks_for_one,
        what_the_store_holds_is_shown_as_text,
    ])
