// Desktop notice for an incoming call while the window is hidden. Uses the web Notification API,
// which Tauri's notification plugin provides in the webview; where it is missing or not allowed,
// nothing happens (the window title still changes, see views/main.tsx).

export function notifyIncoming(title: string, body: string): void {
  const api = (window as unknown as { Notification?: typeof Notification }).Notification;
  if (!api || api.permission !== "granted" || !document.hidden) return;
  try {
    new api(title, { body, tag: "koppla-incoming" });
  } catch {
    // Some webviews expose the constructor but refuse it outside a service worker.
  }
}
