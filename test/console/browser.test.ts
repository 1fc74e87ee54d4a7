// The console in a real browser (headless Chromium): the click-through an operator does, and the page's weight.
// Open the list; open an expense waiting for approval and see the approval's deadline on the waterfall; approve it
// through the form, where a bad payload is first refused with the schema's message; watch it complete; cancel a trip
// booking and see its compensation steps appear. Screenshots land in test/console/artifacts/.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, launchChromium } from "./browser.js";
import type { ConsoleWorld } from "./fixtures.js";
import { startWorld } from "./fixtures.js";

const WAIT = { timeout: 15_000 };

describe("the console in Chromium", { timeout: 60_000 }, () => {
  let world: ConsoleWorld;
  let browser: Browser;
  let page: Page;
  const loaded: { url: string; bytes: number }[] = [];

  beforeAll(async () => {
    world = await startWorld({ allowActions: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT.timeout);
    page.on("response", (response) => {
      void response.body().then(
        (body) => loaded.push({ url: response.url(), bytes: body.length }),
        () => loaded.push({ url: response.url(), bytes: 0 }),
      );
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it("lists the executions newest first, and filters them by workflow, status and custom status", async () => {
    await page.goto(world.console.url);
    await page.waitForSelector('[data-testid="executions"]', WAIT);
    const ids = await page.$$eval('[data-testid="executions"] tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent));
    expect(ids.filter((id) => !id?.includes(":"))).toEqual(["report-2026-02", "expense-2", "trip-2", "trip-1", "expense-1"]);
    await page.screenshot({ path: `${ARTIFACTS}list.png` });

    await page.selectOption('[data-testid="filter-workflow"]', "trip-booking");
    await page.click('[data-testid="filters"] button');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="executions"] tbody tr').length === 2, undefined, WAIT);
    await page.fill('[data-testid="filter-custom"]', "sign-off");
    await page.selectOption('[data-testid="filter-workflow"]', "");
    await page.selectOption('[data-testid="filter-status"]', "suspended");
    await page.click('[data-testid="filters"] button');
    await page.waitForFunction(() => location.hash.includes("customStatus=sign-off"), undefined, WAIT);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="executions"] tbody tr').length === 2, undefined, WAIT);
    const filtered = await page.$$eval('[data-testid="executions"] tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent));
    expect(filtered).toEqual(["trip-2", "trip-1"]);
  });

  it("shows a waiting approval on the waterfall with its deadline, and its retried step's attempts", async () => {
    await page.goto(world.console.url);
    await page.click('[data-testid="row-expense-1"] a');
    await page.waitForSelector('[data-testid="waterfall"]', WAIT);
    expect(await page.textContent('[data-testid="execution-id"]')).toContain("suspended");
    const deadline = page.locator('[data-testid="deadline-5"]');
    await deadline.waitFor(WAIT);
    // The approval waits 24 hours from 09:01:30 (the policy check took two retries, 30 s and 60 s apart).
    expect(await deadline.getAttribute("title")).toContain("deadline 2026-03-03 09:01:30.000 UTC");
    const attempts = await page.$$eval('[data-op="1"] .kind-attempt', (bars) => bars.map((bar) => bar.className));
    expect(attempts).toHaveLength(3);
    expect(attempts.filter((name) => name.includes("outcome-failed"))).toHaveLength(2);
    expect(await page.locator('[data-op="1"] .kind-backoff').count()).toBe(2);
    expect(await page.locator('[data-op="2"]').count()).toBe(1); // the map group, with a lane per item
    expect(await page.locator('[data-op="2.0.0"][data-name="verify-receipt"]').count()).toBe(1);
    expect(await page.getAttribute('[data-op="3"] a.child-link', "href")).toMatch(/^#\/executions\/expense-1%3A/);
    await page.screenshot({ path: `${ARTIFACTS}approval-waiting.png`, fullPage: true });
  });

  it("refuses a bad approval with the schema's message, then approves it and watches it complete", async () => {
    await page.check('[data-testid="event-approval-approved"]');
    await page.fill('[data-testid="event-approval-approver"]', "");
    await page.click('[data-testid="send-approval"]');
    const refusal = page.locator('[data-testid="form-event-approval"] .form-message.error');
    await refusal.waitFor(WAIT);
    expect(await refusal.textContent()).toContain("name the approver");
    await page.screenshot({ path: `${ARTIFACTS}approval-refused.png` });
    expect((await world.t.describe("expense-1")).status).toBe("suspended");

    await page.fill('[data-testid="event-approval-approver"]', "maria");
    await page.click('[data-testid="send-approval"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-id"]')?.textContent?.includes("completed"), undefined, WAIT);
    await page.locator('[data-op="7"][data-name="pay"]').waitFor(WAIT);
    expect(await page.textContent('[data-testid="custom-status"]')).toContain("paid");
    expect(await page.textContent('[data-testid="history"]')).toContain("EventReceived");
    expect(await world.t.result("expense-1")).toEqual({ approved: true, by: "maria" });
    await page.screenshot({ path: `${ARTIFACTS}approval-completed.png`, fullPage: true });
  });

  it("cancels a trip booking and shows its compensation steps as they run", async () => {
    await page.goto(`${world.console.url}#/executions/trip-1`);
    await page.waitForSelector('[data-testid="waterfall"]', WAIT);
    await page.locator('[data-op="3"]').waitFor(WAIT); // the sign-off callback, waiting
    expect(await page.locator('[data-name="cancel-hotel"]').count()).toBe(0);
    await page.fill('[data-testid="control-reason"]', "trip called off");
    await page.click('[data-testid="action-cancel"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-id"]')?.textContent?.includes("cancelled"), undefined, WAIT);
    await page.locator('[data-name="cancel-hotel"]').waitFor(WAIT);
    await page.locator('[data-name="cancel-flight"]').waitFor(WAIT);
    const order = await page.$$eval('[data-name^="cancel-"]', (rows) => rows.map((row) => row.getAttribute("data-name")));
    expect(order).toEqual(["cancel-hotel", "cancel-flight"]); // compensations run last first
    expect(await page.getAttribute('[data-op="3"]', "class")).toContain("status-cancelled");
    expect(await page.textContent('[data-testid="ending"]')).toContain("cancelled: trip called off");
    await page.screenshot({ path: `${ARTIFACTS}trip-cancelled.png`, fullPage: true });
  });

  it("completes a callback through its form, checked against the callback's schema", async () => {
    await page.goto(`${world.console.url}#/executions/trip-2`);
    await page.locator('[data-testid="form-callback-sign-off"]').waitFor(WAIT);
    await page.check('[data-testid="callback-sign-off-ok"]');
    await page.click('[data-testid="complete-sign-off"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-id"]')?.textContent?.includes("completed"), undefined, WAIT);
    expect(await world.t.result("trip-2")).toEqual({ booked: true });
  });

  it("shows a failed execution's error with its cause chain, and redrives it once the fix is in", async () => {
    await page.goto(`${world.console.url}#/executions/report-2026-02`);
    const chain = page.locator('[data-testid="error-chain"] > li');
    await chain.first().waitFor(WAIT);
    const causes = await chain.allTextContents();
    expect(causes.map((text) => text.split(/[ :]/)[0])).toEqual(["StepFailedError", "TerminalError", "Error"]);
    expect(causes[2]).toContain("ENOENT: templates/report.html");
    await page.screenshot({ path: `${ARTIFACTS}report-failed.png`, fullPage: true });
    world.workflows.templates.fixed = true;
    await page.click('[data-testid="action-redrive"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-id"]')?.textContent?.includes("completed"), undefined, WAIT);
    expect(await page.locator('[data-testid="history"] tr.superseded').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-op="1"] .kind-attempt.outcome-completed').count()).toBe(1);
    expect(await page.locator('[data-op="1"] .kind-attempt.outcome-failed').count()).toBe(0); // superseded by the redrive
    expect(await world.t.result("report-2026-02")).toEqual({ pages: 3 });
  });

  it("loaded under 200 KB of page, all of it from the console itself (no CDN)", async () => {
    await page.goto(world.console.url);
    await page.waitForSelector('[data-testid="executions"]', WAIT);
    const origin = new URL(world.console.url).origin;
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((item) => !item.url.startsWith(origin))).toEqual([]);
    // What the page itself is: its HTML, script and style sheet (the API's JSON is the executions' data).
    const assets = new Map(loaded.filter((item) => !new URL(item.url).pathname.startsWith("/api/")).map((item) => [new URL(item.url).pathname, item.bytes]));
    expect([...assets.keys()].sort()).toEqual(["/", "/app.css", "/app.js"]);
    const total = [...assets.values()].reduce((sum, bytes) => sum + bytes, 0);
    console.log(`console page: ${(total / 1024).toFixed(1)} KB (${[...assets].map(([path, bytes]) => `${path} ${(bytes / 1024).toFixed(1)} KB`).join(", ")})`);
    expect(total).toBeLessThan(200 * 1024);
  });
});
