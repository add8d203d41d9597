// Runs in every vitest file. Preact runs effects after the next frame or a 100 ms timeout,
// whichever comes first; a file that ends right after a render would otherwise leave that timeout
// to fire after the DOM environment is gone (it calls cancelAnimationFrame) and fail the run.
import { afterAll } from "vitest";

afterAll(() => new Promise<void>((resolve) => setTimeout(resolve, 150)));
