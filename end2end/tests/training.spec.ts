import { test, expect } from "@playwright/test";
import * as path from "path";
import { TABLES, barValue, createDataset, progress, signUp, uniqueName, waitForStatus } from "./helpers";

const shots = path.join(__dirname, "..", "..", "docs", "screenshots");

test.describe("training a dataset in the browser", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the hydrated project");

  test("sign up, create, train, pause, resume, complete; then polling stops", async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto("/signup");
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    const username = uniqueName("alice");
    await page.getByLabel(/Username/).fill(username);
    await page.getByLabel(/Password/).fill("train-Knowledge-42");
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId("current-user")).toHaveText(username);

    await page.goto("/datasets/new");
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    await page.getByLabel("Name").fill("Chinook");
    await page.getByLabel("Source database URL").fill("sqlite://chinook.sqlite");
    // "Test connection" lists the source's tables with checkboxes.
    await page.getByTestId("test-connection").click();
    for (const t of TABLES) await expect(page.getByRole("checkbox", { name: t, exact: true })).toBeChecked();
    await page.getByRole("checkbox", { name: "Playlist", exact: true }).uncheck();
    await page.getByText("Documentation / business terms").click();
    await page.getByLabel("Title").fill("Glossary");
    await page.getByLabel("Content").fill("A track is a song; an invoice line is one bought track.");
    await page.getByRole("button", { name: "Create dataset" }).click();
    await expect(page).toHaveURL(/\/datasets\/\d+$/);
    const id = Number(page.url().split("/").pop());
    await expect(page.getByTestId("status-text")).toHaveText("Pending");
    await expect(page.getByTestId("docs")).toContainText("Glossary");
    // The dataset page's picker remembers the choice.
    await expect(page.getByRole("checkbox", { name: "Track", exact: true })).toBeChecked();
    await expect(page.getByRole("checkbox", { name: "Playlist", exact: true })).not.toBeChecked();

    // A speed limit makes the run last about 20 s, so that the pause below lands mid-run even on
    // a loaded machine (at 8 items/s the run sometimes completed before the click).
    await page.getByText("Advanced").click();
    await page.getByLabel(/Speed limit/).fill("3");
    await page.getByTestId("train").click();
    await expect(page.getByTestId("status-text")).toHaveText(/Queued|Training\.\.\./);
    await expect(page.getByTestId("status-text")).toHaveText("Training...");
    const first = await barValue(page);
    await expect.poll(() => barValue(page), { timeout: 15_000 }).toBeGreaterThan(first);
    await expect(page.getByTestId("stage")).toContainText(/Step [1-4]\/4/);
    await page.screenshot({ path: path.join(shots, "dataset-training.png"), fullPage: true });

    await page.getByTestId("pause").click();
    await expect(page.getByTestId("status-text")).toHaveText("Paused");
    const paused = await barValue(page);
    expect(paused).toBeGreaterThan(0);
    expect(paused).toBeLessThan(100);
    await expect(page.getByRole("progressbar").first()).toHaveAttribute("data-status", "paused");
    // Nothing moves while paused.
    await page.waitForTimeout(2500);
    expect(await barValue(page)).toBe(paused);

    await page.getByTestId("resume").click();
    await expect(page.getByTestId("status-text")).toHaveText("Completed", { timeout: 60_000 });
    expect(await barValue(page)).toBe(100);
    await expect(page.getByTestId("logs")).toContainText("Training completed");
    await expect(page.getByTestId("runs")).toContainText("Completed");

    // Polling has stopped: no progress request in the next 5 s.
    let requests = 0;
    page.on("request", (r) => {
      if (r.url().includes("progress")) requests += 1;
    });
    await page.waitForTimeout(5000);
    expect(requests).toBe(0);

    // "Try it": the trained collection answers with the Track DDL.
    await page.getByRole("searchbox").fill("How many tracks are there?");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByTestId("search-results")).toContainText('CREATE TABLE "Track"');

    // Delete the training data (confirm dialog): back to Pending, and search finds nothing.
    page.once("dialog", (d) => d.accept());
    await page.getByTestId("delete-data").click();
    await expect(page.getByTestId("status-text")).toHaveText("Pending");
    await page.getByRole("searchbox").fill("How many tracks are there?");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page.getByTestId("search-empty")).toBeVisible();

    await page.goto("/");
    await expect(page.getByTestId("dataset-list")).toContainText("Chinook");
    await page.screenshot({ path: path.join(shots, "datasets.png"), fullPage: true });
    expect(id).toBeGreaterThan(0);
  });

  test("another user cannot open the first user's dataset page", async ({ page, browser }) => {
    await signUp(page);
    const id = await createDataset(page.request);
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signUp(otherPage);
    const res = await otherPage.goto(`/datasets/${id}`);
    expect(res?.status()).toBe(404);
    await expect(otherPage.getByTestId("not-found")).toBeVisible();
    await other.close();
  });
});

test.describe("in Chinese (Accept-Language: zh-CN)", () => {
  test.use({ locale: "zh-CN" });
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the hydrated project");

  test("a failed run shows 训练失败 and the error message", async ({ page }) => {
    await signUp(page);
    const id = await createDataset(page.request);
    const res = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: ["Track", "NoSuchTable"] } });
    expect(res.status()).toBe(202);
    await waitForStatus(page.request, id, "failed");
    await page.goto(`/datasets/${id}`);
    await expect(page.getByTestId("status-text")).toHaveText("训练失败");
    await expect(page.getByTestId("error-msg")).toContainText("NoSuchTable");
    await expect(page.getByTestId("train")).toHaveText("开始训练");
    await expect(page.getByRole("progressbar").first()).toHaveAttribute("data-status", "failed");
  });

  test("the status texts and buttons follow the seed's labels", async ({ page }) => {
    await signUp(page);
    const id = await createDataset(page.request);
    await page.goto(`/datasets/${id}`);
    await expect(page.getByTestId("status-text")).toHaveText("等待训练");
    await expect(page.getByTestId("train")).toHaveText("开始训练");
    await expect(page.getByTestId("delete-data")).toHaveText("删除训练数据");
    const res = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: ["Track"], max_items_per_sec: 2 } });
    expect(res.status()).toBe(202);
    // Started elsewhere (the API): the page learns it at its next load.
    await page.reload();
    await expect(page.getByTestId("status-text")).toHaveText(/排队中|训练中\.\.\./);
    await expect(page.getByTestId("pause")).toHaveText("暂停训练");
    await page.getByTestId("pause").click();
    await expect(page.getByTestId("status-text")).toHaveText("已暂停");
    await expect(page.getByTestId("resume")).toHaveText("继续训练");
    await expect(page.getByTestId("cancel")).toHaveText("取消训练");
  });
});

test.describe("without JavaScript", () => {
  test.skip(({ javaScriptEnabled }) => javaScriptEnabled, "the no-js project");

  test("the dataset page shows status and progress, and the Pause form works", async ({ page }) => {
    await signUp(page);
    const id = await createDataset(page.request);
    const res = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: TABLES, max_items_per_sec: 4 } });
    expect(res.status()).toBe(202);
    await expect.poll(async () => (await progress(page.request, id)).process_rate, { timeout: 20_000 }).toBeGreaterThan(0);
    await page.goto(`/datasets/${id}`);
    await expect(page.getByTestId("status-text")).toHaveText("Training...");
    expect(await barValue(page)).toBeGreaterThan(0);
    await expect(page.getByTestId("logs")).toContainText("Stage 1/4 started");
    await page.getByTestId("pause").click();
    await expect(page).toHaveURL(new RegExp(`/datasets/${id}\\??$`));
    await expect(page.getByTestId("status-text")).toHaveText("Paused");
    expect((await progress(page.request, id)).status).toBe("paused");
    await page.getByTestId("resume").click();
    await expect(page.getByTestId("status-text")).toHaveText(/Queued|Training\.\.\./);
    await page.getByTestId("cancel").click();
    await expect(page.getByTestId("status-text")).toHaveText("Pending");
  });

  test("sign up and log in work as plain form posts", async ({ page }) => {
    const username = uniqueName("nojs");
    await page.goto("/signup");
    await page.getByLabel(/Username/).fill(username);
    await page.getByLabel(/Password/).fill("train-Knowledge-42");
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId("current-user")).toHaveText(username);
  });

  test("a refused form post comes back to its page with the error", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel(/Username/).fill(uniqueName("nobody"));
    await page.getByLabel(/Password/).fill("wrong-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/login\?error=/);
    await expect(page.getByTestId("form-error")).toHaveText("Invalid username or password");

    // A stale dataset page: its Train form is submitted after a run was started elsewhere.
    await signUp(page);
    const id = await createDataset(page.request);
    await page.goto(`/datasets/${id}`);
    await expect(page.getByTestId("train")).toBeVisible();
    const res = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: TABLES, max_items_per_sec: 2 } });
    expect(res.status()).toBe(202);
    await page.getByTestId("train").click();
    await expect(page).toHaveURL(new RegExp(`/datasets/${id}\\?error=`));
    await expect(page.getByTestId("form-error")).toContainText("already");
    // The page shows the run that was started; a form post that succeeds drops the old error.
    await page.getByTestId("pause").click();
    await expect(page).toHaveURL(new RegExp(`/datasets/${id}$`));
    await expect(page.getByTestId("status-text")).toHaveText("Paused");
    await expect(page.getByTestId("form-error")).toHaveText("");
  });
});
