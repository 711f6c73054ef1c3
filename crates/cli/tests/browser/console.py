"""The execution console in headless Chromium (Debian's chromium + chromedriver): the list
filtered by status and searched by id prefix; a READY execution's graph (every state that
ran green, Parallel a container around its branches); a state's details opened by a click;
a FAILED execution's failed state red with the cause in words; a redrive from the page;
the pages at 360 px. Saves screenshots.
Usage: console.py BASE_URL READY_ID FAILED_NAME SCREENSHOT_DIR
Prints one JSON line with what it saw; exits non-zero on any failure."""

import json
import os
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

RELOADING = (StaleElementReferenceException, NoSuchElementException)

base, ready_id, failed_name, shots = sys.argv[1:5]
os.makedirs(shots, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--window-size=1280,1100", "--user-data-dir=" + tempfile.mkdtemp()):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
seen = {}


def shot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


def rows():
    return driver.execute_script(
        "return [...document.querySelectorAll('table.executions tbody tr')].map(r => [r.dataset.name, r.dataset.status])")


def graph():
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('svg.graph g.state')].map(g => [g.dataset.state, g.dataset.status]))")


def rect(selector):
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]",
        selector)


try:
    # the list: a status filter, then a search by id prefix, through the form
    driver.get(base + "/console")
    seen["all_rows"] = rows()
    shot("1-list")
    driver.find_element(By.CSS_SELECTOR, "form.filters select[name=status] option[value=FAILED]").click()
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "status=FAILED" in d.current_url)
    seen["failed_rows"] = rows()
    shot("2-list-failed")
    driver.get(base + "/console")
    box = driver.find_element(By.CSS_SELECTOR, "form.filters input[name=q]")
    box.send_keys(ready_id[:18])
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "q=" in d.current_url)
    seen["prefix_rows"] = rows()
    seen["list_columns"] = driver.execute_script(
        "return [...document.querySelectorAll('table.executions thead th')].map(t => t.textContent)")
    seen["list_reel_name"] = driver.execute_script(
        "return document.querySelector('table.executions tbody tr td:nth-child(5)').textContent")
    shot("3-list-prefix")

    # a READY execution: the graph, a container, a click on a state
    driver.get(base + "/console/executions/" + ready_id)
    seen["ready_graph"] = graph()
    frame = rect("svg.graph g.state.container[data-state=ProcessMedia] > a > rect.frame")
    inner = [rect("svg.graph g.state[data-state=%s] rect" % s) for s in ("GenerateThumbnails", "ExtractMetadata")]
    seen["parallel_contains_branches"] = all(
        frame[0] <= r[0] and frame[1] <= r[1] and r[2] <= frame[2] and r[3] <= frame[3] for r in inner)
    shot("4-ready-graph")
    driver.find_element(By.CSS_SELECTOR, "svg.graph g.state[data-state=ValidateFileType] a").click()
    detail = driver.find_element(By.ID, "state-ValidateFileType")
    WebDriverWait(driver, 10).until(lambda d: detail.is_displayed())
    seen["detail_text"] = detail.text
    seen["detail_input"] = driver.execute_script(
        "return document.querySelectorAll('#state-ValidateFileType pre.json')[0].textContent")
    seen["detail_output"] = driver.execute_script(
        "return document.querySelectorAll('#state-ValidateFileType pre.json')[1].textContent")
    shot("5-ready-state-details")
    driver.find_element(By.CSS_SELECTOR, "label[for=view-table]").click()
    seen["table_rows"] = driver.execute_script(
        "return [...document.querySelectorAll('table.states tbody tr')].map(r => [...r.children].map(c => c.textContent))")
    shot("6-ready-table")
    driver.find_element(By.CSS_SELECTOR, "label[for=view-events]").click()
    seen["event_types"] = driver.execute_script(
        "return [...document.querySelectorAll('table.events tbody tr')].map(r => r.dataset.type)")
    seen["events_visible"] = driver.find_element(By.CSS_SELECTOR, "table.events").is_displayed()
    shot("7-ready-events")

    # a new execution with an edited input, from the READY one's page
    driver.find_element(By.CSS_SELECTOR, "details.start summary").click()
    driver.find_element(By.CSS_SELECTOR, "details.start input[name=name]").send_keys("edited-1")
    area = driver.find_element(By.CSS_SELECTOR, "details.start textarea[name=input]")
    area.clear()
    area.send_keys('{"id": "edited-1", "rawKey": "raw/edited-1/original.jpg"}')
    driver.find_element(By.CSS_SELECTOR, "details.start button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.current_url.endswith("/console/executions/edited-1"))
    seen["edited_input"] = driver.execute_script(
        "return [...document.querySelectorAll('h2')].filter(h => h.textContent === 'Input').map(h => h.nextElementSibling.textContent)[0]")
    shot("7b-started-edited")

    # a FAILED execution: the failed state red, the cause in words; then redrive it
    driver.get(base + "/console/executions/" + failed_name)
    seen["failed_graph"] = graph()
    seen["failed_cause"] = driver.find_element(By.CSS_SELECTOR, ".cause.failure .cause-text").text
    seen["failed_error"] = driver.find_element(By.CSS_SELECTOR, ".cause.failure code.error").text
    shot("8-failed-graph")
    driver.find_element(By.CSS_SELECTOR, "svg.graph g.state[data-state=ValidateFileType] a").click()
    seen["caught_detail"] = driver.find_element(By.ID, "state-ValidateFileType").text
    shot("9-failed-caught-details")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/redrive'] button").click()
    # the form posts and the page comes back (303) to the same execution: wait for the new
    # document, then reload until the redriven run has ended
    WebDriverWait(driver, 10, ignored_exceptions=RELOADING).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "dd.redrives"))
    deadline = time.time() + 30
    while True:
        status = driver.execute_script(
            "const e = document.querySelector('div.execution'); return e && e.dataset.status")
        if (status and status != "RUNNING") or time.time() > deadline:
            break
        time.sleep(0.3)
        driver.refresh()
    seen["after_redrive_status"] = status
    seen["redrives"] = driver.find_element(By.CSS_SELECTOR, "dd.redrives").text
    seen["after_redrive_events"] = driver.execute_script(
        "return [...document.querySelectorAll('table.events tbody tr')].map(r => r.dataset.type)")
    shot("10-after-redrive")

    # the definition: edited in the page and validated with AWS's error text
    driver.get(base + "/console/statemachine")
    area = driver.find_element(By.CSS_SELECTOR, "form.definition textarea")
    area.clear()
    area.send_keys('{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}')
    driver.find_element(By.CSS_SELECTOR, "form.definition button[type=submit]").click()
    # the answer is a new page: wait for it rather than read the one the click left
    seen["invalid_definition"] = WebDriverWait(driver, 15).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".invalid .cause-text")).text
    shot("11-definition-invalid")

    # 360 px: nothing wider than the screen
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    seen["narrow"] = {}
    for label, url in (("list", base + "/console"),
                       ("ready", base + "/console/executions/" + ready_id + "#state-ProcessMedia"),
                       ("failed", base + "/console/executions/" + failed_name),
                       ("definition", base + "/console/statemachine")):
        driver.get(url)
        seen["narrow"][label] = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        shot("360-" + label)
        if label == "failed":
            driver.execute_script("document.querySelector('.views').scrollIntoView()")
            shot("360-failed-graph")
    print(json.dumps(seen))
finally:
    driver.quit()
