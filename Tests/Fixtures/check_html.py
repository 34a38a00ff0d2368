"""Opens rpc-analyze's HTML reports in headless Chromium (Debian's chromium and chromium-driver,
through Python's selenium) and says what a person would see: lanes, calls and findings drawn,
the findings listed, what clicking the first finding shows, and the console's errors.
Usage: check_html.py REPORT.html... [--screenshot FILE] ; prints one JSON object per report."""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

args = sys.argv[1:]
screenshot = None
if "--screenshot" in args:
    screenshot = args[args.index("--screenshot") + 1]
    args = args[:args.index("--screenshot")]
options = Options()
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000", "--disable-dev-shm-usage"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    for report in args:
        driver.get("file://" + report)
        seen = {
            "report": report,
            "lanes": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#timeline-svg text.lane")],
            "calls": len(driver.find_elements(By.CSS_SELECTOR, "#timeline-svg .item.call")),
            "marks": len(driver.find_elements(By.CSS_SELECTOR, "#timeline-svg .finding-mark")),
            "findings": len(driver.find_elements(By.CSS_SELECTOR, "#findings li")),
            "methods": len(driver.find_elements(By.CSS_SELECTOR, "#latency tr.method")),
            "histograms": len(driver.find_elements(By.CSS_SELECTOR, "#latency svg.histogram")),
            "verdict": driver.find_element(By.ID, "verdict").text,
        }
        items = driver.find_elements(By.CSS_SELECTOR, "#findings li")
        if items:
            items[0].click()
            seen["detail"] = driver.find_element(By.ID, "details").text
            seen["selected"] = len(driver.find_elements(By.CSS_SELECTOR, "#timeline-svg .finding-mark.selected"))
            if screenshot:
                driver.save_screenshot(screenshot)
        driver.find_element(By.ID, "reset").click()
        calls = driver.find_elements(By.CSS_SELECTOR, "#timeline-svg .item.call")
        if calls:
            # A click as the page gets it, also on a call partly under another one.
            driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                                  driver.find_elements(By.CSS_SELECTOR, "#timeline-svg .item.call")[0])
            seen["call_detail"] = driver.find_element(By.ID, "details").text
        seen["console"] = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        print(json.dumps(seen))
finally:
    driver.quit()
