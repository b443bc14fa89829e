// Firefox and WebKit over WebDriver (geckodriver, WebKitWebDriver driving WebKitGTK's
// MiniBrowser), through selenium-webdriver. Each session is wrapped in the few methods of a
// Playwright page that the lab and the page tests use, so the same scenarios run in every
// engine. The browsers' binaries and options are those of the project's webdriver.json, which
// the wasm browser tests use too. `cargo xtask test` sets GECKODRIVER and, for WebKit, DISPLAY.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import remote from 'selenium-webdriver/remote/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const capabilities = JSON.parse(readFileSync(join(root, 'webdriver.json'), 'utf8'));

export const ENGINES = ['firefox', 'webkit'];

// WebKitWebDriver on a free loopback port, through selenium-webdriver's own driver service (as
// geckodriver is): `start()` resolves with its address once it takes requests.
function webkitDriver() {
  if (!process.env.DISPLAY) throw new Error('WebKit needs DISPLAY (an Xvfb display): run this through `cargo xtask test`');
  return new remote.DriverService.Builder('/usr/bin/WebKitWebDriver').setLoopback(true).build();
}

// A fresh session (so fresh storage) of `engine`, as a page.
export async function openPage(engine) {
  if (engine === 'firefox') {
    if (!process.env.GECKODRIVER) throw new Error('GECKODRIVER is not set: run this through `cargo xtask test`');
    const options = new firefox.Options();
    options.set('moz:firefoxOptions', capabilities['moz:firefoxOptions']);
    const driver = await new Builder()
      .forBrowser('firefox')
      .setFirefoxOptions(options)
      .setFirefoxService(new firefox.ServiceBuilder(process.env.GECKODRIVER))
      .build();
    return new DriverPage(driver, engine);
  }
  const service = webkitDriver();
  try {
    const driver = await new Builder()
      .usingServer(await service.start())
      .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': capabilities['webkitgtk:browserOptions'] })
      .build();
    return new DriverPage(driver, engine, service);
  } catch (e) {
    await service.kill();
    throw e;
  }
}

// A WebDriver session with a Playwright page's shape, for what the tests ask of a page.
class DriverPage {
  constructor(driver, engine, service) {
    this.driver = driver;
    this.engine = engine;
    this.service = service;
  }

  goto(url) {
    return this.driver.get(url);
  }

  reload() {
    return this.driver.navigate().refresh();
  }

  // `fn(arg)` run in the page; a promise it returns is awaited (WebDriver's Execute Script does).
  evaluate(fn, arg) {
    return this.driver.executeScript(`return (${fn})(arguments[0]);`, arg);
  }

  // Resolves once `fn(arg)` is true in the page; `timeout` only guards against a wait that never
  // ends.
  async waitForFunction(fn, arg, { timeout = 60000, polling = 50 } = {}) {
    await this.driver.wait(() => this.evaluate(fn, arg), timeout, `${this.engine}: waited ${timeout} ms for ${fn}`, polling);
  }

  // The page's text, once `pattern` is in it.
  async waitForText(pattern, timeout = 60000) {
    let text = '';
    await this.driver.wait(async () => {
      text = await this.evaluate(() => document.body.innerText);
      return pattern.test(text);
    }, timeout, `${this.engine}: no ${pattern} in the page`, 50).catch((e) => {
      throw new Error(`${e.message}; the page says: ${text}`);
    });
    return text;
  }

  // Picks files on disk (a path or several) through the input, as a person would.
  async setInputFiles(selector, paths) {
    await this.driver.findElement(By.css(selector)).sendKeys([paths].flat().join('\n'));
  }

  async click(selector) {
    await this.driver.findElement(By.css(selector)).click();
  }

  async screenshot({ path }) {
    writeFileSync(path, await this.driver.takeScreenshot(), 'base64');
  }

  async close() {
    try {
      await this.driver.quit();
    } finally {
      await this.service?.kill();
    }
  }
}
