import { test, expect } from "@playwright/test";
import { createDataset, signUp, waitForStatus } from "./helpers";

test.describe("the webhook on the dataset page", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the hydrated project");

  test("a bad URL is refused, the first save shows the secret once, empty removes it", async ({ page }) => {
    await signUp(page);
    const id = await createDataset(page.request);
    await page.goto(`/datasets/${id}`);
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    const section = page.getByTestId("webhook");
    const field = section.getByLabel(/Webhook URL/);
    const save = section.getByRole("button", { name: "Save" });
    await expect(field).toHaveValue("");

    await field.fill("ftp://203.0.113.10/datatrain");
    await save.click();
    await expect(section.getByRole("alert")).toContainText("http or https");
    expect((await (await page.request.get(`/api/datasets/${id}`)).json()).webhook_url ?? null).toBeNull();

    const url = "https://203.0.113.10/datatrain";
    await field.fill(url);
    await save.click();
    const secret = section.getByTestId("webhook-secret");
    await expect(secret).toHaveText(/^whsec_\S{20,}$/);
    const value = (await secret.textContent())!;
    const stored = await (await page.request.get(`/api/datasets/${id}`)).json();
    expect(stored.webhook_url).toBe(url);
    expect(stored.webhook_secret ?? null).toBeNull();

    // Shown once: after a reload the URL is there and the secret is not.
    await page.reload();
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    await expect(field).toHaveValue(url);
    await expect(section.getByTestId("webhook-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(value);
    // Saving the same URL again keeps the secret hidden.
    await save.click();
    await expect(section).toContainText("Saved.");
    await expect(section.getByTestId("webhook-secret")).toHaveCount(0);

    // A run's delivery shows in the run history (the address answers nothing: not delivered).
    const start = await page.request.post(`/api/datasets/${id}/training`, { data: { table_names: ["Artist"] } });
    expect(start.status()).toBe(202);
    await waitForStatus(page.request, id, "completed");
    await page.reload();
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    await expect(page.getByTestId("webhook-status").first()).toHaveText(/^(pending|failed)$/);

    await field.fill("");
    await save.click();
    await expect(section).toContainText("Saved.");
    await expect.poll(async () => (await (await page.request.get(`/api/datasets/${id}`)).json()).webhook_url ?? null).toBeNull();
  });
});
