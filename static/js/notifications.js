/* The header's unread count and live notifications, on every page of a logged-in reader.

   The header's link is the same for every reader (pages are shared shells, learning/shells.py):
   this script reads the count from /notifications/unread/ when the page loads and whenever the
   socket (re)connects, then keeps it live from /ws/notifications/ (protocol:
   notifications/consumers.py), announcing each new notification in a polite live region and
   showing it as a toast. Text is set with textContent, never as HTML. Without JavaScript the
   link still leads to the notification centre. */
(function () {
    "use strict";

    const link = document.querySelector("[data-notifications-link]");
    if (!link) return;

    const badge = link.querySelector("[data-notifications-count]");
    const number = link.querySelector("[data-notifications-number]");
    const text = link.querySelector("[data-notifications-text]");
    const live = document.querySelector("[data-notifications-live]");
    const centre = link.getAttribute("href");
    const FINAL_CODES = new Set([4401]); // logged out: reconnecting cannot help
    const TOAST_MS = 10000;

    let socket = null;
    let attempts = 0;
    let reconnectTimer = null;
    let toasts = null;
    let opened = false;

    function show(count) {
        if (typeof count !== "number" || count < 0) return;
        link.dataset.unread = String(count);
        number.textContent = count > 99 ? "99+" : String(count);
        text.textContent = " (" + count + " unread)";
        badge.hidden = count === 0;
    }

    function refresh() {
        fetch(link.dataset.unreadUrl, {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
            cache: "no-store",
        })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (data) { if (data) show(data.unread); })
            .catch(function () { /* offline: the count stays as it was */ });
    }

    function toast(frame) {
        if (!toasts) {
            toasts = document.createElement("ul");
            toasts.className = "notification-toasts";
            toasts.setAttribute("aria-label", "New notifications");
            document.body.appendChild(toasts);
        }
        const item = document.createElement("li");
        item.className = "notification-toast";
        const label = document.createElement("p");
        label.className = "notification-toast__label";
        label.textContent = "New notification";
        const title = document.createElement("p");
        title.className = "notification-toast__title";
        const anchor = document.createElement("a");
        anchor.href = centre + encodeURIComponent(frame.id) + "/open/";
        anchor.textContent = frame.title;
        title.appendChild(anchor);
        const close = document.createElement("button");
        close.type = "button";
        close.className = "notification-toast__close";
        close.setAttribute("aria-label", "Dismiss");
        close.textContent = "×";
        close.addEventListener("click", function () { item.remove(); });
        item.append(label, close, title);
        toasts.prepend(item);
        while (toasts.children.length > 3) toasts.lastElementChild.remove();
        // Leave it while the pointer or focus is on it.
        setTimeout(function remove() {
            if (item.matches(":hover, :focus-within")) setTimeout(remove, 2000);
            else item.remove();
        }, TOAST_MS);
    }

    function receive(event) {
        let frame;
        try { frame = JSON.parse(event.data); } catch (error) { return; }
        if (!frame || frame.type !== "notification") return;
        show(frame.unread);
        live.textContent = "New notification: " + frame.title;
        toast(frame);
    }

    function connect() {
        clearTimeout(reconnectTimer);
        const scheme = window.location.protocol === "https:" ? "wss" : "ws";
        socket = new WebSocket(scheme + "://" + window.location.host + link.dataset.socketUrl);
        socket.addEventListener("open", function () {
            attempts = 0;
            link.dataset.live = "connected";
            if (opened) refresh(); // what arrived while the socket was closed
            opened = true;
        });
        socket.addEventListener("message", receive);
        socket.addEventListener("close", function (event) {
            socket = null;
            link.dataset.live = "closed";
            if (FINAL_CODES.has(event.code)) return;
            attempts += 1;
            // Exponential backoff with jitter, at most a minute: a restarted server is not
            // met by every page at once.
            const delay = Math.min(60000, 1000 * Math.pow(2, attempts - 1)) * (0.75 + Math.random() / 2);
            reconnectTimer = setTimeout(connect, delay);
        });
    }

    // A page restored from the back/forward cache shows an old count.
    window.addEventListener("pageshow", function (event) { if (event.persisted) refresh(); });
    refresh();
    if ("WebSocket" in window && link.dataset.socketUrl) connect();
})();
