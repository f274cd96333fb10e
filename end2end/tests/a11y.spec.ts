import { test, expect, Page } from "@playwright/test";
import { createDataset, signUp } from "./helpers";

// axe-core (npm) on the pages a user works in, English and Chinese: no serious or
// critical violation. axe is injected as a script, so this spec lifts the page's
// Content-Security-Policy (the foundation spec checks the policy itself).
test.use({ bypassCSP: true });
test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "axe runs as a script: the hydrated project");

async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const found = await page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => n.target.join(" ")).slice(0, 5),
    }));
  });
  return found
    .filter((v: any) => v.impact === "serious" || v.impact === "critical")
    .map((v: any) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.join(", ")}`);
}

for (const locale of ["en-US", "zh-CN"]) {
  test.describe(`accessibility (${locale})`, () => {
    test.use({ locale });

    test("login, list, new-dataset and dataset pages have no serious or critical violation", async ({ page, javaScriptEnabled }) => {
      const ready = async () => {
        if (javaScriptEnabled) await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
      };
      await page.goto("/login");
      await ready();
      expect(await seriousViolations(page), "/login").toEqual([]);

      await signUp(page);
      await page.goto("/");
      await ready();
      expect(await seriousViolations(page), "/ (empty)").toEqual([]);

      await page.goto("/datasets/new");
      await ready();
      expect(await seriousViolations(page), "/datasets/new").toEqual([]);

      const id = await createDataset(page.request);
      await page.goto("/");
      await ready();
      expect(await seriousViolations(page), "/ (a dataset)").toEqual([]);

      await page.goto(`/datasets/${id}`);
      await ready();
      expect(await seriousViolations(page), `/datasets/${id}`).toEqual([]);

      // A paused run: the Resume and Cancel buttons, the stage and the bar.
      const slow = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: ["Artist", "Album", "Track"], max_items_per_sec: 2 } });
      expect(slow.status()).toBe(202);
      expect((await page.request.post(`/api/datasets/${id}/training/pause`)).status()).toBe(200);
      await page.goto(`/datasets/${id}`);
      await ready();
      await expect(page.getByTestId("status-text")).toHaveAttribute("data-status", "paused");
      expect(await seriousViolations(page), `/datasets/${id} (paused)`).toEqual([]);
      expect((await page.request.post(`/api/datasets/${id}/training/cancel`)).status()).toBe(200);

      // A finished run: logs, run history and a search result on the page.
      const res = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: ["Artist", "Album"] } });
      expect(res.status()).toBe(202);
      await expect
        .poll(async () => (await (await page.request.get(`/api/datasets/${id}/training/progress`)).json()).status, { timeout: 30_000 })
        .toBe("completed");
      await page.goto(`/datasets/${id}?q=albums`);
      await ready();
      expect(await seriousViolations(page), `/datasets/${id} (trained)`).toEqual([]);
    });
  });
}
