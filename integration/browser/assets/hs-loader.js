// Stand-in for HubSpot's chat loader script, served on loopback because the
// real one must not be fetched in tests. It does what identification depends
// on: it reads window.hsConversationsSettings when it runs, waits for
// widget.load() when loadImmediately is false, sets up
// window.HubSpotConversations and then calls the hsConversationsOnReady
// callbacks. Each widget load posts the identification the widget saw to the
// emulator's widget endpoint, which verifies the token.
(function () {
	"use strict";

	var w = window;
	if (w.HubSpotConversations) {
		// A second copy of the loader on the same page changes nothing.
		return;
	}

	// Counts of widget reports, so a test can wait until every report has
	// reached the emulator.
	var reports = { started: 0, finished: 0, failed: 0 };
	w.hsStandInLoader = reports;

	var loaded = false;
	var bubble = null;

	// The stand-in reads the identification each time the widget loads,
	// from the settings object the page has at that moment.
	function identification() {
		var settings = w.hsConversationsSettings || {};
		return {
			email: typeof settings.identificationEmail === "string" ? settings.identificationEmail : "",
			token: typeof settings.identificationToken === "string" ? settings.identificationToken : ""
		};
	}

	// render shows a chat bubble, so a screenshot shows whom the widget
	// identified.
	function render(email) {
		if (!bubble) {
			bubble = document.createElement("div");
			bubble.id = "hs-stand-in-widget";
			bubble.style.cssText = "position:fixed;right:16px;bottom:16px;padding:12px 16px;" +
				"border-radius:20px;background:#ff7a59;color:#fff;font:14px sans-serif";
			document.body.appendChild(bubble);
		}
		bubble.textContent = email ? "Chat: identified as " + email : "Chat: anonymous visitor";
	}

	function unrender() {
		if (bubble) {
			bubble.remove();
			bubble = null;
		}
	}

	function report(kind) {
		var id = identification();
		render(id.email);

		reports.started++;
		fetch("/hs-widget/loads", {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ page: location.pathname, kind: kind, email: id.email, token: id.token })
		}).then(function (response) {
			if (!response.ok) {
				reports.failed++;
			}
		}, function () {
			reports.failed++;
		}).then(function () {
			reports.finished++;
		});
	}

	var widget = {
		load: function () {
			if (loaded) {
				return;
			}
			loaded = true;
			report("load");
		},
		refresh: function () {
			if (loaded) {
				report("refresh");
			}
		},
		remove: function () {
			loaded = false;
			unrender();
		},
		status: function () {
			return { loaded: loaded };
		}
	};

	w.HubSpotConversations = {
		widget: widget,

		// clear drops the widget's visitor state. With resetWidget it loads
		// a loaded widget again, which reads the settings afresh.
		// NOTE: HubSpot's loader was not checked for a widget that was not
		// loaded yet; the stand-in leaves such a widget unloaded.
		clear: function (options) {
			var wasLoaded = loaded;
			loaded = false;
			unrender();
			if (options && options.resetWidget && wasLoaded) {
				loaded = true;
				report("reload");
			}
		}
	};

	// loadImmediately is read once, when the loader runs.
	var settings = w.hsConversationsSettings || {};
	if (settings.loadImmediately !== false) {
		widget.load();
	}

	var callbacks = w.hsConversationsOnReady;
	if (Array.isArray(callbacks)) {
		callbacks.forEach(function (callback) {
			try {
				callback();
			} catch (e) {
				// Report the error without stopping the other callbacks.
				setTimeout(function () { throw e; });
			}
		});
	}
})();
