package hubspotemu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

func Example() {
	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: "pat-na1-example"})
	server := httptest.NewServer(emulator)
	defer server.Close()

	req, _ := http.NewRequest(http.MethodPost, server.URL+hubspotemu.PathTokensCreate,
		strings.NewReader(`{"email": "visitor@example.com"}`))
	req.Header.Set("Authorization", "Bearer pat-na1-example")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()

	var body struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.StatusCode, emulator.Verify(body.Token, "Visitor@Example.com"))
	fmt.Println(emulator.Calls("visitor@example.com"), res.Header.Get("X-HubSpot-RateLimit-Remaining"))
	// Output:
	// 200 <nil>
	// 1 99
}
