// Firefox and WebKit over WebDriver (geckodriver, WebKitWebDriver driving WebKitGTK's
// MiniBrowser), through selenium-webdriver. Each session is wrapped in the few methods of a
// Playwright page that the lab and the page tests use, so the same scenarios run in every
// engine. The browsers' binaries and options are those of the project's webdriver.json, which
// the wasm browser tests use too. `cargo xtask test` sets GECKODRIVER and, for WebKit, DISPLAY.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const capabilities = JSON.parse(readFileSync(join(root, 'webdriver.json'), 'utf8'));

export const ENGINES = ['firefox', 'webkit'];

// A loopback port nobody listens on.
async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

// WebKitWebDriver on a port of its own, stopped with the session. Resolves once it answers
// /status; the 30 s are a guard against a driver that never comes up.
async function webkitDriver() {
  if (!process.env.DISPLAY) throw new Error('WebKit needs DISPLAY (an Xvfb display): run this through `cargo xtask test`');
  const port = await freePort();
  const child = spawn('/usr/bin/WebKitWebDriver', [`--port=${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/status`)).ok) return { url, child };
    } catch {
      // Not listening yet.
    }
    if (tries === 600 || child.exitCode !== null) {
      child.kill();
      throw new Error('WebKitWebDriver did not come up');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
  const { url, child } = await webkitDriver();
  try {
    const driver = await new Builder()
      .usingServer(url)
      .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': capabilities['webkitgtk:browserOptions'] })
      .build();
    return new DriverPage(driver, engine, child);
  } catch (e) {
    child.kill();
    throw e;
  }
}

// A WebDriver session with a Playwright page's shape, for what the tests ask of a page.
class DriverPage {
  constructor(driver, engine, child) {
    this.driver = driver;
    this.engine = engine;
    this.child = child;
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
      this.child?.kill();
    }
  }
}
