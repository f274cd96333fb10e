import { test, expect } from "@playwright/test";

test("the login page renders meaningful content", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Train what your SQL assistant knows");
  await expect(page.getByLabel("Username")).toBeVisible();
});

test("pages that need a session send a visitor to /login", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test("a click calls a server function and the page shows its answer", async ({ page }, info) => {
  test.skip(info.project.name === "no-js", "needs hydration");
  await page.goto("/status");
  // Wait until the WASM has hydrated the page, so the click goes through the ServerAction.
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  const answer = page.getByTestId("server-answer");
  await expect(answer).toHaveText("");
  await page.getByTestId("check-server").click();
  await expect(answer).toContainText(/Server \d+\.\d+\.\d+ is up; its database answers\./);
  // The page was not reloaded: the answer came through the hydrated action.
  expect(page.url()).toMatch(/\/status$/);
});

test("unknown pages get the 404 page", async ({ page }) => {
  const res = await page.goto("/no/such/page");
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toBeVisible();
});

test("health answers as documented", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body).toEqual({
    status: "ok",
    version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    database: "ok",
    instance: expect.stringMatching(/.+/),
  });
});

test("pages hydrate under the Content-Security-Policy, which nothing violates", async ({ page }, info) => {
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Refused to (load|execute|apply|frame|compile)/i.test(msg.text())) {
      violations.push(msg.text());
    }
  });
  const res = await page.goto("/status");
  const csp = res?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=_-]+'/);
  expect(res?.headers()["x-frame-options"]).toBe("DENY");
  if (info.project.name !== "no-js") {
    await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
    await page.getByTestId("check-server").click();
    await expect(page.getByTestId("server-answer")).toContainText("is up");
  }
  await page.goto("/login");
  await expect(page.getByLabel("Username")).toBeVisible();
  expect(violations).toEqual([]);
});

test("a page of another origin cannot frame datatrain", async ({ page, baseURL }) => {
  // The CSP's frame-ancestors 'none' (and X-Frame-Options) keep the frame empty.
  await page.route("http://framing.test/", (route) =>
    route.fulfill({ contentType: "text/html", body: `<iframe id="f" src="${baseURL}/login"></iframe>` }),
  );
  // The main page's load event waits for its frame to load or fail.
  await page.goto("http://framing.test/", { waitUntil: "load" });
  const frames = page.frames().filter((f) => f !== page.mainFrame());
  expect(frames.length).toBe(1);
  expect(await frames[0].locator("input").count()).toBe(0);
  // A control: the same page is served fine at the top level.
  await page.goto("/login");
  await expect(page.getByLabel("Username")).toBeVisible();
});
