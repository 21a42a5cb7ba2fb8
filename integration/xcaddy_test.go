package integration

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"golang.org/x/mod/modfile"

	// xcaddy imports the module's root package, which must register the
	// handler on its own.
	_ "github.com/hsidentify/caddy-hubspot-identify"
)

// buildManifest is the shape of xcaddy.json, which the README's xcaddy
// command follows.
type buildManifest struct {
	CaddyVersion string `json:"caddy_version"`
	Plugins      []struct {
		Module    string   `json:"module"`
		ModuleIDs []string `json:"module_ids"`
	} `json:"plugins"`
}

func TestXcaddyManifestMatchesBuild(t *testing.T) {
	raw, err := os.ReadFile("../xcaddy.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest buildManifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatalf("xcaddy.json: %v", err)
	}

	goMod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", goMod, nil)
	if err != nil {
		t.Fatalf("go.mod: %v", err)
	}

	caddyRequired := ""
	for _, req := range mod.Require {
		if req.Mod.Path == "github.com/caddyserver/caddy/v2" {
			caddyRequired = req.Mod.Version
		}
	}
	if manifest.CaddyVersion != caddyRequired {
		t.Errorf("xcaddy.json caddy_version = %q, want %q as in go.mod", manifest.CaddyVersion, caddyRequired)
	}

	if len(manifest.Plugins) != 1 {
		t.Fatalf("xcaddy.json lists %d plugins, want 1", len(manifest.Plugins))
	}
	plugin := manifest.Plugins[0]
	if plugin.Module != mod.Module.Mod.Path {
		t.Errorf("plugin module = %q, want %q from go.mod", plugin.Module, mod.Module.Mod.Path)
	}

	if len(plugin.ModuleIDs) == 0 {
		t.Fatal("plugin lists no module IDs")
	}
	for _, id := range plugin.ModuleIDs {
		info, err := caddy.GetModule(id)
		if err != nil {
			t.Errorf("module %q is not registered: %v", id, err)
			continue
		}
		if got := info.New().CaddyModule().ID; string(got) != id {
			t.Errorf("module %q reports ID %q", id, got)
		}
	}
}
