"""The moderation queue in headless Chromium (Debian's chromium + chromedriver): sign in with
the admin token through the sign-in form, open the queue, see the pending reels with their
thumbnail, caption and buttons, reject one with a reason, approve another; the third, whose
execution was stopped while it waited, offers only "Ask for review again": ask, see it come
back with its buttons, approve it, and see the queue empty; the queue at 360 px and on a
desktop. Saves screenshots.
Usage: moderation.py BASE_URL ADMIN_TOKEN APPROVE_ID REJECT_ID ENDED_ID SCREENSHOT_DIR
Prints one JSON line with what it saw; exits non-zero on any failure."""

import json
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, token, approve_id, reject_id, ended_id, shots = sys.argv[1:7]
os.makedirs(shots, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--window-size=1280,1000", "--user-data-dir=" + tempfile.mkdtemp()):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
seen = {}


def shot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


def queue_ids():
    return driver.execute_script(
        "return [...document.querySelectorAll('article.review')].map(a => a.dataset.id)")


def overflow():
    return driver.execute_script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth")


def images_loaded():
    return driver.execute_script(
        "return [...document.querySelectorAll('article.review img')].every(i => i.complete && i.naturalWidth > 0)")


try:
    # a stranger: the queue sends them to sign in
    driver.get(base + "/console/moderation")
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "token"))
    seen["signin_first"] = "/signin" in driver.current_url
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form[action='/signin'] button, form[action='/signin'] [type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "article.review"))
    seen["queue"] = sorted(queue_ids())
    WebDriverWait(driver, 20).until(lambda d: images_loaded())
    seen["thumbnails_loaded"] = images_loaded()
    seen["captions"] = driver.execute_script(
        "return [...document.querySelectorAll('article.review .caption')].map(p => p.textContent)")
    seen["desktop_overflow"] = overflow()
    ended = f"article.review[data-id='{ended_id}']"
    seen["ended_asks_again"] = bool(driver.find_elements(By.CSS_SELECTOR, ended + " form.review-again button"))
    seen["ended_has_approve"] = bool(driver.find_elements(By.CSS_SELECTOR, ended + " form.approve"))
    shot("1-queue-desktop")

    driver.set_window_size(360, 900)
    driver.refresh()
    # the thumbnails load lazily: scroll them all into view once, then back to the top
    for article in driver.find_elements(By.CSS_SELECTOR, "article.review"):
        driver.execute_script("arguments[0].scrollIntoView()", article)
    WebDriverWait(driver, 20).until(lambda d: images_loaded())
    driver.execute_script("window.scrollTo(0, 0)")
    seen["mobile_overflow"] = overflow()
    shot("2-queue-360")
    driver.set_window_size(1280, 1000)

    # reject one with a reason, through its form
    form = driver.find_element(By.CSS_SELECTOR, f"article.review[data-id='{reject_id}'] form.reject")
    form.find_element(By.NAME, "reason").send_keys("Out of focus: please upload a sharper one.")
    form.find_element(By.CSS_SELECTOR, "button").click()
    WebDriverWait(driver, 20).until(lambda d: "rejected=" in d.current_url)
    seen["after_reject_notice"] = driver.find_element(By.CSS_SELECTOR, "p.notice").text
    shot("3-after-reject")

    # approve the other
    driver.find_element(By.CSS_SELECTOR, f"article.review[data-id='{approve_id}'] form.approve button").click()
    WebDriverWait(driver, 20).until(lambda d: "approved=" in d.current_url)
    seen["after_approve_notice"] = driver.find_element(By.CSS_SELECTOR, "p.notice").text

    # ask again for the stopped one: its execution runs again and it returns with buttons
    driver.find_element(By.CSS_SELECTOR, ended + " form.review-again button").click()
    WebDriverWait(driver, 20).until(lambda d: "resumed=" in d.current_url)
    seen["after_resume_notice"] = driver.find_element(By.CSS_SELECTOR, "p.notice").text
    shot("4-asked-again")
    driver.set_window_size(360, 900)
    driver.refresh()
    seen["asked_again_mobile_overflow"] = overflow()
    shot("5-asked-again-360")
    driver.set_window_size(1280, 1000)

    def approvable(d):
        d.get(base + "/console/moderation")
        return bool(d.find_elements(By.CSS_SELECTOR, ended + " form.approve button"))
    WebDriverWait(driver, 60, poll_frequency=0.3).until(approvable)
    seen["asked_again_approvable"] = True
    driver.find_element(By.CSS_SELECTOR, ended + " form.approve button").click()
    WebDriverWait(driver, 20).until(lambda d: "approved=" in d.current_url)

    # the queue empties once the state machine has done its part
    def empty(d):
        d.get(base + "/console/moderation")
        return not queue_ids()
    WebDriverWait(driver, 30, poll_frequency=0.3).until(empty)
    seen["queue_after"] = queue_ids()
    shot("6-queue-empty")
    print(json.dumps(seen))
finally:
    driver.quit()
