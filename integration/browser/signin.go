package browser

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
	"sync"
)

// sessionCookie is the name of the sign-in service's session cookie.
const sessionCookie = "session"

// authEmailHeader carries the signed-in visitor's email from the sign-in
// service's /auth response, as oauth2-proxy's X-Auth-Request-Email does.
const authEmailHeader = "X-Auth-Request-Email"

// signInTemplates are the sign-in and sign-out forms.
var signInTemplates = template.Must(template.New("forms").Parse(`
{{define "login"}}<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="rd" value="{{.Redirect}}">
<label>Email <input id="email" name="email" type="email" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="sign-in" type="submit">Sign in</button>
</form>
</body>
</html>
{{end}}
{{define "logout"}}<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign out</title></head>
<body>
<form method="post" action="/logout"><button id="sign-out" type="submit">Sign out</button></form>
</body>
</html>
{{end}}`))

// signInService is a minimal auth proxy for Caddy's forward_auth. A form at
// /login starts a session in a cookie, and /logout ends it. /auth returns
// 200 with the visitor's email in authEmailHeader for a valid session, and
// 401 otherwise. Its methods are safe for concurrent use.
type signInService struct {
	password string          // the password of every user
	users    map[string]bool // emails that may sign in

	mu       sync.Mutex
	sessions map[string]string // session ID to email
}

func newSignInService(password string, users []string) *signInService {
	s := &signInService{
		password: password,
		users:    make(map[string]bool),
		sessions: make(map[string]string),
	}
	for _, email := range users {
		s.users[email] = true
	}
	return s
}

func (s *signInService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/auth":
		s.serveAuth(w, r)
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		s.signIn(w, r)
	case r.URL.Path == "/login":
		renderForm(w, http.StatusOK, "login", r.URL.Query().Get("rd"), "")
	case r.URL.Path == "/logout" && r.Method == http.MethodPost:
		s.signOut(w, r)
	case r.URL.Path == "/logout":
		renderForm(w, http.StatusOK, "logout", "", "")
	default:
		http.NotFound(w, r)
	}
}

// serveAuth handles forward_auth's subrequest, which carries the visitor's
// cookies.
func (s *signInService) serveAuth(w http.ResponseWriter, r *http.Request) {
	email, ok := s.session(r)
	if !ok {
		http.Error(w, "not signed in", http.StatusUnauthorized)
		return
	}
	w.Header().Set(authEmailHeader, email)
	w.WriteHeader(http.StatusOK)
}

func (s *signInService) signIn(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	redirect := r.PostFormValue("rd")
	if !s.users[email] || r.PostFormValue("password") != s.password {
		renderForm(w, http.StatusUnauthorized, "login", redirect, "Invalid email or password.")
		return
	}

	id := newSessionID()
	s.mu.Lock()
	s.sessions[id] = email
	s.mu.Unlock()

	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    id,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(redirect), http.StatusSeeOther)
}

func (s *signInService) signOut(w http.ResponseWriter, r *http.Request) {
	if cookie, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, cookie.Value)
		s.mu.Unlock()
	}

	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// session returns the email of the session that r's cookie names.
func (s *signInService) session(r *http.Request) (string, bool) {
	cookie, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	email, ok := s.sessions[cookie.Value]
	return email, ok
}

func renderForm(w http.ResponseWriter, status int, name, redirect, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	data := struct{ Redirect, Error string }{redirect, message}
	signInTemplates.ExecuteTemplate(w, name, data)
}

// localPath returns redirect if it is a path on this site, and "/account/"
// otherwise, so the form cannot send a visitor to another site.
func localPath(redirect string) string {
	if !strings.HasPrefix(redirect, "/") || strings.HasPrefix(redirect, "//") || strings.HasPrefix(redirect, `/\`) {
		return "/account/"
	}
	return redirect
}

func newSessionID() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
