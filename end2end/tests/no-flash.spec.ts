import { test, expect, Page } from "@playwright/test";
import { createDataset, signUp, waitForStatus } from "./helpers";

// The page a new user in zh-CN watches while a run trains: its main content must
// never go empty, at a poll, after an action or on a status change.
test.use({ locale: "zh-CN" });
test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the hydrated project");

/** Samples <main> every 50 ms and at every painted frame; a frame is empty when
 *  <main> is missing or holds no text. */
async function startSampling(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    w.__frames = { total: 0, empty: [] as string[] };
    const look = (when: string) => {
      const main = document.querySelector("main");
      w.__frames.total += 1;
      if (!main || (main.textContent ?? "").trim() === "") {
        w.__frames.empty.push(`${when} at ${performance.now().toFixed(0)} ms`);
      }
    };
    setInterval(() => look("50 ms sample"), 50);
    const frame = () => {
      look("painted frame");
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

async function frames(page: Page): Promise<{ total: number; empty: string[] }> {
  return page.evaluate(() => (window as any).__frames);
}

test("the dataset page and the list never blank through train, pause, resume, complete", async ({ page }) => {
  test.setTimeout(150_000);
  await signUp(page);
  const id = await createDataset(page.request);
  await page.goto(`/datasets/${id}`);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await startSampling(page);

  // 4 items per second: a run of about 20 s, polled every 2 s.
  await page.getByText("高级").click();
  await page.getByLabel(/速度限制/).fill("4");
  await page.getByTestId("train").click();
  await expect(page.getByTestId("status-text")).toHaveText("训练中...", { timeout: 30_000 });
  // A few polls while training.
  await page.waitForTimeout(4500);
  await page.getByTestId("pause").click();
  await expect(page.getByTestId("status-text")).toHaveText("已暂停");
  await page.waitForTimeout(1000);
  await page.getByTestId("resume").click();
  await expect(page.getByTestId("status-text")).toHaveText("训练完成", { timeout: 90_000 });
  // The final refresh after the run settles.
  await page.waitForTimeout(2500);
  const onDataset = await frames(page);
  expect(onDataset.empty).toEqual([]);
  // At least one sample per 50 ms of the flow above (it lasts well over 10 s).
  expect(onDataset.total).toBeGreaterThan(200);

  // The list polls too while a run is active.
  const res = await page.request.post(`/api/datasets/${id}/training`, {
    data: { table_names: ["Artist", "Album", "Genre"], max_items_per_sec: 4 },
  });
  expect(res.status()).toBe(202);
  await page.goto("/");
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await startSampling(page);
  await waitForStatus(page.request, id, "completed");
  await expect(page.getByTestId("dataset-list")).toContainText("训练完成", { timeout: 10_000 });
  await page.waitForTimeout(2500);
  const onList = await frames(page);
  expect(onList.empty).toEqual([]);
  expect(onList.total).toBeGreaterThan(40);
});
