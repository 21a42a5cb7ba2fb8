package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// siteFiles holds the sample site's page templates. Each page defines
// "title" and "content" for site/layout.html.
//
//go:embed site
var siteFiles embed.FS

// sitePages maps each path of the sample site to its template under site/.
var sitePages = map[string]string{
	"/":                "index.html",
	"/account/":        "account/index.html",
	"/account/profile": "account/profile.html",
}

// pageData is the input of the page templates.
type pageData struct {
	PortalID string // HubSpot account ID for the chat widget, or empty
}

// newSiteHandler returns the sample site: plain HTML pages without HubSpot's
// identification. A script on each page shows what the page's
// window.hsConversationsSettings contains. With a portalID, the pages also
// load HubSpot's chat widget for that account.
func newSiteHandler(portalID string) (http.Handler, error) {
	mux := http.NewServeMux()
	for path, file := range sitePages {
		page, err := template.ParseFS(siteFiles, "site/layout.html", "site/"+file)
		if err != nil {
			return nil, fmt.Errorf("parsing page template %s: %w", file, err)
		}

		// A pattern ending in a slash matches a whole subtree unless {$}
		// ends it.
		pattern := "GET " + path
		if strings.HasSuffix(path, "/") {
			pattern += "{$}"
		}
		mux.Handle(pattern, pageHandler(page, pageData{PortalID: portalID}))
	}
	return mux, nil
}

// pageHandler renders page into memory first, so a template error becomes a
// 500 instead of a truncated page.
func pageHandler(page *template.Template, data pageData) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		if err := page.ExecuteTemplate(&body, "layout.html", data); err != nil {
			log.Printf("demo: rendering %s: %v", r.URL.Path, err)
			http.Error(w, "rendering the page failed", http.StatusInternalServerError)
			return
		}

		header := w.Header()
		header.Set("Content-Type", "text/html; charset=utf-8")
		header.Set("Content-Length", strconv.Itoa(body.Len()))
		w.Write(body.Bytes())
	})
}

// startSite serves the sample site on a free loopback port.
func (d *demo) startSite() error {
	handler, err := newSiteHandler(d.portalID)
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the sample site: %w", err)
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			log.Printf("demo: sample site on %s stopped: %v", listener.Addr(), err)
		}
	}()

	d.upstreamURL = "http://" + listener.Addr().String()
	d.closers = append(d.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := server.Shutdown(ctx); err != nil {
			return fmt.Errorf("stopping the sample site: %w", err)
		}
		return nil
	})
	return nil
}
