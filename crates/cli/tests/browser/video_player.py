"""Play a video reel in headless Chromium (Debian's chromium + chromedriver): open the reel's
page, start the <video> muted, check it reaches readyState >= 2 and that currentTime
advances with no media error, seek to the middle, and save screenshots of the page and of
the gallery (with its play badge) at desktop width and at 360 px.
Usage: video_player.py BASE_URL REEL_ID SCREENSHOT_DIR
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

base, reel_id, shots = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)

opts = webdriver.ChromeOptions()
opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--autoplay-policy=no-user-gesture-required", "--mute-audio",
             "--window-size=1200,1000", "--user-data-dir=" + tempfile.mkdtemp()):
    opts.add_argument(flag)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)
driver.set_script_timeout(30)
seen = {}
STATE = """const v = document.querySelector('video#player');
return {readyState: v.readyState, currentTime: v.currentTime, duration: v.duration, paused: v.paused,
        error: v.error ? v.error.code : null, videoWidth: v.videoWidth, videoHeight: v.videoHeight,
        src: v.currentSrc, poster: v.poster, preload: v.preload, controls: v.controls,
        playsinline: v.hasAttribute('playsinline')};"""
try:
    driver.get(base + "/reels/" + reel_id)
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "video#player"))
    seen["before_play"] = driver.execute_script(STATE)
    seen["facts"] = driver.find_element(By.CSS_SELECTOR, ".player figcaption").text
    driver.save_screenshot(os.path.join(shots, "video-1-reel.png"))
    seen["play"] = driver.execute_async_script("""const done = arguments[arguments.length - 1];
        const v = document.querySelector('video#player');
        v.muted = true;
        v.play().then(() => done('playing'), e => done('refused: ' + e));""")
    WebDriverWait(driver, 20, poll_frequency=0.1).until(
        lambda d: d.execute_script(STATE)["readyState"] >= 2)
    seen["ready"] = driver.execute_script(STATE)
    first = seen["ready"]["currentTime"]
    WebDriverWait(driver, 20, poll_frequency=0.1).until(
        lambda d: d.execute_script(STATE)["currentTime"] > first + 0.5)
    seen["playing"] = driver.execute_script(STATE)
    driver.save_screenshot(os.path.join(shots, "video-2-playing.png"))
    seen["seek"] = driver.execute_async_script("""const done = arguments[arguments.length - 1];
        const v = document.querySelector('video#player');
        v.pause();
        const target = v.duration / 2;
        v.addEventListener('seeked', () => done({target: target, currentTime: v.currentTime,
            readyState: v.readyState, error: v.error ? v.error.code : null}), {once: true});
        v.currentTime = target;""")
    time.sleep(0.3)
    driver.save_screenshot(os.path.join(shots, "video-3-seeked.png"))
    driver.get(base + "/gallery")
    seen["badge"] = driver.execute_script(
        "const b = document.querySelector('.card .play'); return b ? b.textContent.trim() : null")
    driver.save_screenshot(os.path.join(shots, "video-4-gallery.png"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    seen["narrow"] = {}
    for label, url in (("reel", base + "/reels/" + reel_id), ("gallery", base + "/gallery")):
        driver.get(url)
        seen["narrow"][label] = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        driver.save_screenshot(os.path.join(shots, "video-360-" + label + ".png"))
    print(json.dumps(seen))
finally:
    driver.quit()
