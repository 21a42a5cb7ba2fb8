package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestBasicAuthIdentity(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}

	s := startSite(t, fmt.Sprintf(`
	basic_auth {
		ada@example.com %s
	}
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.auth.user.id}
		endpoint     {endpoint}
	}
	root * %s
	file_server
`, hash, root))

	request := func(user, password string) response {
		req, err := http.NewRequest(http.MethodGet, s.url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(user, password)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return s.read(t, resp)
	}

	signedIn := request("ada@example.com", "correct horse")
	if signedIn.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", signedIn.status)
	}
	email, token, _ := injected(t, signedIn.body)
	if email != "ada@example.com" {
		t.Errorf("identificationEmail = %q, want the basic_auth user", email)
	}
	if err := s.emulator.Verify(token, "ada@example.com"); err != nil {
		t.Errorf("emulator rejects the injected token: %v", err)
	}

	if got := request("ada@example.com", "wrong").status; got != http.StatusUnauthorized {
		t.Errorf("wrong password status = %d, want 401", got)
	}
	if got := s.emulator.TotalCalls(); got != 1 {
		t.Errorf("HubSpot calls = %d, want 1", got)
	}
}
