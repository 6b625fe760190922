import { rateLimitText } from "./rateLimit";

describe("rate limit notice", () => {
  it("counts down the server's wait and disappears when it is over", () => {
    const notice = { call: "GET /api/v1/ota/packages", retryAt: 10_000 };
    expect(rateLimitText(notice, 7_000)).toBe("Rate limited by the server, retrying in 3 s");
    expect(rateLimitText(notice, 9_500)).toBe("Rate limited by the server, retrying in 1 s");
    expect(rateLimitText(notice, 10_000)).toBeNull();
    expect(rateLimitText(null, 0)).toBeNull();
  });
});
