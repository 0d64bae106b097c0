/* The course chat room. Renders every message with textContent (never as HTML), reconnects
   with exponential backoff after a drop and fills the gap from the history the server sends on
   connect, without duplicates (messages are keyed by id). Protocol: chat/consumers.py. */
(function () {
    "use strict";

    const root = document.getElementById("chat");
    if (!root) return;

    const courseId = root.dataset.courseId;
    const canModerate = root.dataset.canModerate === "true";
    const maxLength = parseInt(root.dataset.maxLength, 10) || 2000;
    const list = root.querySelector("[data-chat-messages]");
    const empty = root.querySelector("[data-chat-empty]");
    const form = root.querySelector("[data-chat-form]");
    const input = root.querySelector("[data-chat-input]");
    const sendButton = root.querySelector("[data-chat-send]");
    const statusLine = root.querySelector("[data-chat-status]");
    const errorLine = root.querySelector("[data-chat-error]");
    const olderButton = root.querySelector("[data-chat-older]");
    const online = root.querySelector("[data-chat-online]");

    const CLOSE_MESSAGES = {
        4401: "Your session has ended: log in again to chat.",
        4403: "You are not (or no longer) a member of this course.",
        4404: "This course no longer exists.",
        4429: "Disconnected for sending too much at once.",
    };
    const FINAL_CODES = new Set([4401, 4403, 4404]);

    const seen = new Map(); // id -> <li>
    const members = new Map(); // user id -> {id, name, role}: who is online
    let onlineFrame = null;
    let socket = null;
    let attempts = 0;
    let reconnectTimer = null;
    let pingTimer = null;
    let oldestId = null;
    // The text of the message sent last, until the room echoes it back or refuses it.
    let pending = null;

    function setStatus(text, state) {
        statusLine.textContent = text;
        root.dataset.state = state;
        const connected = state === "online";
        sendButton.disabled = !connected;
    }

    function showError(text) {
        errorLine.textContent = text;
        errorLine.hidden = !text;
    }

    function formatTime(iso) {
        const date = new Date(iso);
        const sameDay = date.toDateString() === new Date().toDateString();
        return sameDay
            ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
            : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    }

    function renderMessage(message) {
        const item = document.createElement("li");
        item.className = "chat__message";
        item.dataset.id = String(message.id);

        const meta = document.createElement("p");
        meta.className = "chat__meta";
        const author = document.createElement("span");
        author.className = "chat__author";
        author.textContent = message.author.name;
        meta.appendChild(author);
        if (message.author.role === "instructor") {
            const badge = document.createElement("span");
            badge.className = "badge chat__badge";
            badge.textContent = "Instructor";
            meta.appendChild(badge);
        }
        const time = document.createElement("time");
        time.className = "chat__time";
        time.dateTime = message.created_at;
        time.textContent = formatTime(message.created_at);
        meta.appendChild(time);
        if (canModerate) {
            const remove = document.createElement("button");
            remove.type = "button";
            remove.className = "chat__delete";
            remove.textContent = "Delete";
            remove.setAttribute("aria-label", "Delete the message by " + message.author.name);
            remove.addEventListener("click", function () {
                // Deleting is for everyone and cannot be undone: ask first.
                const question = "Delete this message by " + message.author.name + "? Everyone in the room stops seeing it; this cannot be undone.";
                if (window.confirm(question)) send({ type: "delete", id: message.id });
            });
            meta.appendChild(remove);
        }
        item.appendChild(meta);

        const text = document.createElement("p");
        text.className = "chat__text";
        text.textContent = message.text; // never innerHTML: message text is untrusted
        item.appendChild(text);
        return item;
    }

    function insertMessage(message) {
        if (seen.has(message.id)) return false;
        const item = renderMessage(message);
        // Keep the list ordered by id, whatever order messages arrive in.
        let next = null;
        for (const [id, element] of seen) {
            if (id > message.id && (!next || id < Number(next.dataset.id))) next = element;
        }
        list.insertBefore(item, next);
        seen.set(message.id, item);
        if (oldestId === null || message.id < oldestId) oldestId = message.id;
        empty.hidden = true;
        return true;
    }

    function removeMessage(id) {
        const item = seen.get(id);
        if (!item) return;
        item.remove();
        seen.delete(id);
    }

    /* The history sent on (re)connect is the room's latest messages as they are now. What the
       page shows from the same span but the history lacks was deleted while the page was
       offline; and when the history does not reach back to what the page shows, more messages
       were missed than one history holds: the page starts again from this history (older ones
       can be paged in), instead of showing a hole. */
    function reconcile(frame) {
        if (seen.size === 0) return;
        const ids = new Set(frame.messages.map(function (message) { return message.id; }));
        const lowest = frame.messages.length ? Math.min.apply(null, Array.from(ids)) : null;
        const newestShown = Math.max.apply(null, Array.from(seen.keys()));
        const gap = lowest !== null && frame.has_more && newestShown < lowest;
        Array.from(seen.keys()).forEach(function (id) {
            // Without has_more the history is the whole room: whatever it lacks is gone.
            const stale = frame.has_more ? id >= lowest && !ids.has(id) : !ids.has(id);
            if (gap || stale) removeMessage(id);
        });
        oldestId = seen.size ? Math.min.apply(null, Array.from(seen.keys())) : null;
    }

    function scrollToEnd() {
        list.scrollTop = list.scrollHeight;
    }

    // The server sends the whole list on connect and after each ping, and single joins and
    // leaves in between; the list is redrawn at most once a frame (a class arriving at once).
    function updateOnline(frame) {
        if (frame.users) {
            members.clear();
            frame.users.forEach(function (user) { members.set(user.id, user); });
        } else if (frame.joined) {
            members.set(frame.joined.id, frame.joined);
        } else if (frame.left !== undefined) {
            members.delete(frame.left);
        }
        if (onlineFrame === null) onlineFrame = window.requestAnimationFrame(renderOnline);
    }

    function renderOnline() {
        onlineFrame = null;
        const users = Array.from(members.values()).sort(function (a, b) {
            return a.name.localeCompare(b.name);
        });
        online.replaceChildren();
        users.forEach(function (user) {
            const item = document.createElement("li");
            item.textContent = user.name;
            if (user.role === "instructor") {
                const badge = document.createElement("span");
                badge.className = "badge chat__badge";
                badge.textContent = "Instructor";
                item.appendChild(document.createTextNode(" "));
                item.appendChild(badge);
            }
            online.appendChild(item);
        });
    }

    function handle(frame) {
        switch (frame.type) {
            case "history": {
                const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
                if (frame.before === undefined || frame.before === null) reconcile(frame);
                frame.messages.forEach(insertMessage);
                if (frame.before === undefined || frame.before === null) {
                    // The history sent on (re)connect: older messages can be paged in.
                    if (oldestId === null || frame.messages.length === 0 || frame.has_more) {
                        olderButton.hidden = !frame.has_more;
                    }
                    if (atEnd || frame.before === undefined) scrollToEnd();
                } else {
                    olderButton.hidden = !frame.has_more;
                }
                empty.hidden = seen.size > 0;
                break;
            }
            case "message":
                if (pending !== null && frame.message.text === pending) pending = null;
                if (insertMessage(frame.message)) scrollToEnd();
                break;
            case "deleted": {
                removeMessage(frame.id);
                empty.hidden = seen.size > 0;
                break;
            }
            case "presence":
                updateOnline(frame);
                break;
            case "error":
                showError(frame.message);
                // A refused message (too fast, too long) goes back in the box, not lost.
                if (pending !== null && !input.value) input.value = pending;
                pending = null;
                break;
            default:
                break;
        }
    }

    function send(frame) {
        if (!socket || socket.readyState !== WebSocket.OPEN) {
            showError("You are offline: the message was not sent.");
            return false;
        }
        socket.send(JSON.stringify(frame));
        return true;
    }

    function connect() {
        clearTimeout(reconnectTimer);
        const scheme = window.location.protocol === "https:" ? "wss" : "ws";
        socket = new WebSocket(scheme + "://" + window.location.host + "/ws/chat/room/" + courseId + "/");
        setStatus(attempts ? "Reconnecting…" : "Connecting…", "connecting");

        socket.addEventListener("open", function () {
            attempts = 0;
            setStatus("Connected", "online");
            showError("");
            clearInterval(pingTimer);
            pingTimer = setInterval(function () { send({ type: "ping" }); }, 30000);
            input.focus();
        });
        socket.addEventListener("message", function (event) {
            let frame;
            try {
                frame = JSON.parse(event.data);
            } catch (error) {
                return;
            }
            handle(frame);
        });
        socket.addEventListener("close", function (event) {
            clearInterval(pingTimer);
            if (FINAL_CODES.has(event.code)) {
                setStatus(CLOSE_MESSAGES[event.code], "closed");
                return;
            }
            attempts += 1;
            const delay = Math.min(30000, 1000 * Math.pow(2, attempts - 1)) * (0.75 + Math.random() / 2);
            const reason = event.code === 4503 ? "The chat is unavailable right now." : (CLOSE_MESSAGES[event.code] || "You are offline.");
            setStatus(reason + " Trying again in " + Math.round(delay / 1000) + " s…", "offline");
            reconnectTimer = setTimeout(connect, delay);
        });
    }

    form.addEventListener("submit", function (event) {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) {
            showError("Write something first.");
            input.focus();
            return;
        }
        if (text.length > maxLength) {
            showError("Messages are at most " + maxLength + " characters.");
            return;
        }
        if (send({ type: "message", text: text })) {
            pending = text;  // until the room echoes it, or refuses it
            input.value = "";
            showError("");
        }
        input.focus();
    });

    input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            form.requestSubmit();
        }
    });

    olderButton.addEventListener("click", function () {
        if (oldestId !== null) send({ type: "history", before: oldestId });
    });

    window.addEventListener("online", function () {
        if (!socket || socket.readyState === WebSocket.CLOSED) {
            attempts = 0;
            connect();
        }
    });
    window.addEventListener("offline", function () {
        setStatus("You are offline.", "offline");
    });

    connect();
})();
