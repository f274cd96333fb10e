import { test, expect } from "@playwright/test";
import { signUp } from "./helpers";

// Runs in both projects: with JavaScript (the action and the refreshed
// resources) and without (plain form posts and the redirect back).
test("create an API token on /account, see it once, use it, revoke it", async ({ page }) => {
  await signUp(page);
  await page.goto("/account");
  await expect(page.getByTestId("no-tokens")).toBeVisible();
  await page.getByLabel("Name").fill("ci script");
  await page.getByLabel("Scope").selectOption("train");
  await page.getByTestId("create-token").click();

  const value = page.getByTestId("new-token-value");
  await expect(value).toBeVisible();
  const token = await value.inputValue();
  expect(token).toMatch(/^dt_[A-Za-z0-9_-]{43,}$/);
  await expect(page.getByTestId("token-list")).toContainText("ci script");
  await expect(page.getByTestId("token-list")).toContainText("train");

  // The token works as a bearer token, without the browser's cookie.
  const base = new URL(page.url()).origin;
  const bearer = { Authorization: `Bearer ${token}` };
  const ok = await page.request.get(`${base}/api/datasets`, { headers: bearer });
  expect(ok.status()).toBe(200);

  // Shown once: a reload no longer shows it.
  await page.reload();
  await expect(page.getByTestId("token-list")).toContainText("ci script");
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  expect(await page.content()).not.toContain(token);

  await page.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("no-tokens")).toBeVisible();
  // Revoked: refused at once (the Authorization header wins over the page's cookie).
  const gone = await page.request.get(`${base}/api/datasets`, { headers: bearer });
  expect(gone.status()).toBe(401);
});
