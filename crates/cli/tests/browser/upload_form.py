"""Drive the real web form in headless Chromium (Debian's chromium + chromedriver):
fill name and caption, pick a file, submit, watch the progress bar, land on the reel's
page, wait for it to turn READY by itself, check the thumbnail really loaded, and save
screenshots. Usage: upload_form.py BASE_URL FILE SCREENSHOT_DIR
Prints one JSON line with what it saw; exits non-zero on any failure."""

import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

# The reel's page reloads itself when the status changes: an element read mid-reload is
# stale or not there yet, and the wait simply tries again.
RELOADING = (StaleElementReferenceException, NoSuchElementException)

base, path, shots = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--window-size=1200,1000", "--user-data-dir=" + tempfile.mkdtemp()):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
seen = {}
try:
    driver.get(base + "/")
    driver.find_element(By.NAME, "name").send_keys("Browser Ada")
    driver.find_element(By.NAME, "caption").send_keys("uploaded by a real browser")
    driver.find_element(By.NAME, "file").send_keys(os.path.abspath(path))
    driver.save_screenshot(os.path.join(shots, "1-form.png"))
    # remember the form's requests across the navigation to the reel's page
    driver.execute_script("""window.addEventListener('beforeunload', function () {
        sessionStorage.setItem('requests', JSON.stringify(performance.getEntriesByType('resource')
            .filter(function (e) { return e.initiatorType === 'xmlhttprequest'; })
            .map(function (e) { return new URL(e.name).pathname; })));
    });""")
    driver.find_element(By.CSS_SELECTOR, "form#upload-form button[type=submit]").click()
    # the progress bar shows, then the page moves to /reels/{id}
    WebDriverWait(driver, 30).until(lambda d: "/reels/" in d.current_url)
    seen["reel_url"] = driver.current_url
    seen["requests"] = driver.execute_script("return JSON.parse(sessionStorage.getItem('requests') || '[]')")
    seen["progress_max"] = driver.execute_script(
        "return performance.getEntriesByType('navigation').length")
    WebDriverWait(driver, 60, poll_frequency=0.2, ignored_exceptions=RELOADING).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "article.reel").get_attribute("data-status") != "PROCESSING")
    article = driver.find_element(By.CSS_SELECTOR, "article.reel")
    seen["status"] = article.get_attribute("data-status")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const i = document.querySelector('img.hero'); return i && i.complete && i.naturalWidth > 0"))
    # the hero has a srcset: which file the browser chose, and its shape
    seen["hero_src"] = driver.execute_script(
        "return document.querySelector('img.hero').currentSrc.split('/').pop()")
    seen["hero_ratio"] = driver.execute_script(
        "const i = document.querySelector('img.hero'); return i.naturalWidth / i.naturalHeight")
    seen["thumbs_loaded"] = driver.execute_script(
        "return [...document.querySelectorAll('ul.thumbs img')].filter(i => i.complete && i.naturalWidth > 0).length")
    seen["title"] = driver.find_element(By.CSS_SELECTOR, "article.reel h1").text
    driver.save_screenshot(os.path.join(shots, "2-reel.png"))
    driver.get(base + "/console/executions/" + seen["reel_url"].rsplit("/", 1)[1])
    seen["graph_states"] = driver.execute_script("return document.querySelectorAll('svg.graph g.state').length")
    seen["graph_succeeded"] = driver.execute_script(
        "return [...document.querySelectorAll('svg.graph g.state.succeeded')].map(g => g.dataset.state)")
    driver.save_screenshot(os.path.join(shots, "3-execution.png"))
    # the same pages on a 360 px phone: nothing may be wider than the screen
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    seen["narrow"] = {}
    for label, url in (("form", base + "/"), ("reel", seen["reel_url"]), ("gallery", base + "/gallery"),
                       ("execution", driver.current_url)):
        driver.get(url)
        seen["narrow"][label] = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        driver.save_screenshot(os.path.join(shots, "360-" + label + ".png"))
    print(json.dumps(seen))
finally:
    driver.quit()
