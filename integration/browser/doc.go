// Package browser tests hubspot_identify end to end in a real Chromium,
// driven by chromedp. Caddy runs in the test process in front of a small
// site, and the visitor's email comes from basic_auth or from forward_auth to
// a sign-in service that the tests start.
//
// HubSpot's loader script cannot be fetched in tests, so the site serves a
// stand-in, assets/hs-loader.js, that posts each widget load to the HubSpot
// emulator's widget endpoint (hubspotemu.Widget), which verifies the
// identification the widget saw.
//
// The tests need Chromium at /usr/bin/chromium or on PATH. Without it they
// fail instead of skipping, so a CI run cannot pass without a browser.
package browser
