import { expect, Page, APIRequestContext } from "@playwright/test";

export const TABLES = [
  "Album", "Artist", "Customer", "Employee", "Genre", "Invoice",
  "InvoiceLine", "MediaType", "Playlist", "PlaylistTrack", "Track",
];

let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

/** Signs up through the API (the request context shares the page's cookies) and logs in. */
export async function signUp(page: Page, username = uniqueName("u")): Promise<string> {
  const password = "train-Knowledge-42";
  const api = page.request;
  expect((await api.post("/api/auth/signup", { data: { username, password } })).status()).toBe(201);
  expect((await api.post("/api/auth/login", { data: { username, password } })).status()).toBe(200);
  return username;
}

export async function createDataset(api: APIRequestContext, name = uniqueName("chinook")): Promise<number> {
  const res = await api.post("/api/datasets", { data: { name, source_url: "sqlite://chinook.sqlite" } });
  expect(res.status()).toBe(201);
  return (await res.json()).id;
}

export async function progress(api: APIRequestContext, id: number) {
  const res = await api.get(`/api/datasets/${id}/training/progress`);
  expect(res.status()).toBe(200);
  return res.json();
}

export async function waitForStatus(api: APIRequestContext, id: number, status: string) {
  await expect.poll(async () => (await progress(api, id)).status, { timeout: 30_000 }).toBe(status);
}

/** The progress bar's current value. */
export async function barValue(page: Page): Promise<number> {
  const v = await page.getByRole("progressbar").first().getAttribute("aria-valuenow");
  return Number(v);
}
