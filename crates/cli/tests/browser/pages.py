"""The pages as people use them, in headless Chromium (Debian's chromium + chromedriver), on a
360 px phone and on a desktop:

- the form: a file dropped onto the zone shows its preview; a text file named .jpg is
  refused at pick time in plain words with the technical cause under a toggle;
- a reel whose caption holds a 300-character word and a <script>: the page turns READY
  without a reload (the server's definition holds each reel PROCESSING for a moment), the
  caption stays text, the browser that uploaded it is offered deletion;
- the gallery and the execution page;
- on every page at 360 px, nothing is wider than the screen.

Usage: pages.py BASE_URL PHOTO SCREENSHOT_DIR. Prints one JSON line with what it saw; exits
non-zero on any failure."""

import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

SWAPPING = (StaleElementReferenceException, NoSuchElementException)

base, photo, shots = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
os.makedirs(shots, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--window-size=1280,1000", "--user-data-dir=" + tempfile.mkdtemp()):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
seen = {"narrow": {}}


def phone():
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})


def desktop():
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def measure(label):
    """At 360 px: the page's width against the screen's, and a screenshot."""
    seen["narrow"][label] = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    driver.save_screenshot(os.path.join(shots, "360-" + label + ".png"))


try:
    # --- the form on a phone: a drop shows the preview -----------------------------------
    phone()
    driver.get(base + "/")
    measure("form")
    driver.execute_script("""const probe = document.createElement('input');
        probe.type = 'file'; probe.id = 'probe'; document.body.appendChild(probe);""")
    driver.find_element(By.ID, "probe").send_keys(photo)
    driver.execute_script("""const file = document.getElementById('probe').files[0];
        const dt = new DataTransfer(); dt.items.add(file);
        document.getElementById('drop-zone').dispatchEvent(
            new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));""")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const i = document.querySelector('#preview img'); return i && i.complete && i.naturalWidth > 0"))
    seen["preview_visible"] = driver.find_element(By.ID, "preview").is_displayed()
    seen["dropped_into_input"] = driver.execute_script(
        "return document.getElementById('file').files.length")
    measure("form-preview")

    # --- a text file named .jpg: plain words and a details toggle, at pick time ----------
    notes = os.path.join(tempfile.mkdtemp(), "notes.jpg")
    with open(notes, "w") as f:
        f.write("These are my notes, not a photo.\n" * 20)
    driver.find_element(By.ID, "file").send_keys(notes)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "pick-error").is_displayed())
    box = driver.find_element(By.ID, "pick-error")
    seen["refusal_words"] = box.find_element(By.CSS_SELECTOR, ".what").text
    seen["refusal_next"] = box.find_element(By.CSS_SELECTOR, ".next").text
    toggle = box.find_element(By.CSS_SELECTOR, "details.technical")
    seen["details_closed"] = toggle.get_attribute("open") is None
    toggle.find_element(By.TAG_NAME, "summary").click()
    seen["details_text"] = toggle.find_element(By.CSS_SELECTOR, ".cause").text
    seen["preview_hidden_after_refusal"] = not driver.find_element(By.ID, "preview").is_displayed()
    measure("form-refused")

    # --- a caption with a 300-character word and a <script>, sent from the phone ----------
    long_word = "W" * 300
    caption = long_word + "\nsecond line <script>window.pwned = 1</script>"
    driver.find_element(By.NAME, "name").send_keys("Phone Ada")
    driver.find_element(By.NAME, "caption").send_keys(caption)
    driver.find_element(By.ID, "file").send_keys(photo)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "preview").is_displayed())
    driver.find_element(By.ID, "upload-button").click()
    WebDriverWait(driver, 30).until(lambda d: "/reels/" in d.current_url)
    seen["reel_url"] = driver.current_url
    # mark this document: a reload would lose the mark
    driver.execute_script("window.sameDocument = 'kept';")
    seen["status_at_load"] = driver.find_element(By.CSS_SELECTOR, "article.reel").get_attribute("data-status")
    driver.save_screenshot(os.path.join(shots, "360-reel-processing.png"))
    WebDriverWait(driver, 60, poll_frequency=0.2, ignored_exceptions=SWAPPING).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "article.reel").get_attribute("data-status") != "PROCESSING")
    seen["status"] = driver.find_element(By.CSS_SELECTOR, "article.reel").get_attribute("data-status")
    seen["same_document"] = driver.execute_script("return window.sameDocument || null")
    seen["navigations"] = driver.execute_script("return performance.getEntriesByType('navigation').length")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const i = document.querySelector('img.hero'); return i && i.complete && i.naturalWidth > 0"))
    seen["pwned"] = driver.execute_script("return window.pwned || null")
    seen["caption_text"] = driver.find_element(By.CSS_SELECTOR, "p.caption").text
    seen["caption_has_script_element"] = driver.execute_script(
        "return document.querySelectorAll('p.caption script').length")
    seen["owner_offered"] = driver.find_element(By.ID, "owner").is_displayed()
    measure("reel")

    # --- the gallery and the execution page on the phone ---------------------------------
    driver.get(base + "/gallery")
    seen["gallery_cards"] = len(driver.find_elements(By.CSS_SELECTOR, ".grid .card"))
    seen["gallery_srcset"] = driver.execute_script(
        "const i = document.querySelector('.card img'); return i ? [i.getAttribute('srcset'), i.getAttribute('sizes'), i.getAttribute('width'), i.getAttribute('height')] : null")
    measure("gallery")
    driver.get(base + "/console/executions/" + seen["reel_url"].rsplit("/", 1)[1])
    measure("execution")

    # --- the same pages on a desktop ------------------------------------------------------
    desktop()
    for label, url in (("form", base + "/"), ("reel", seen["reel_url"]), ("gallery", base + "/gallery")):
        driver.get(url)
        driver.save_screenshot(os.path.join(shots, "desktop-" + label + ".png"))
    print(json.dumps(seen))
finally:
    driver.quit()
