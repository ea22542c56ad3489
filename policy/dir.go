package policy

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// LoadWith reads the built-in packs and a council's own directory of pack
// files (*.yaml) as one registry, validated together: a file named like a
// built-in one (cumberland.yaml) replaces it, any other adds to them (a new
// authority, or a new version of one). An empty dir is the built-in packs.
func LoadWith(dir string) (*Registry, error) {
	if dir == "" {
		return Load()
	}
	own, err := dirSources(dir)
	if err != nil {
		return nil, err
	}
	names, err := embedded.ReadDir("packs")
	if err != nil {
		return nil, err
	}
	replaced := map[string]bool{}
	for _, f := range own {
		replaced[filepath.Base(f.name)] = true
	}
	var files []packSource
	for _, e := range names {
		if replaced[e.Name()] {
			continue
		}
		name := path.Join("packs", e.Name())
		data, err := embedded.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files = append(files, packSource{name, data})
	}
	return build(append(files, own...))
}

// dirSources reads a directory's pack files.
func dirSources(dir string) ([]packSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("packs directory: %w", err)
	}
	var files []packSource
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, &Problem{File: p, Msg: "cannot read: " + err.Error()}
		}
		files = append(files, packSource{p, data})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("packs directory %s holds no pack files (*.yaml)", dir)
	}
	return files, nil
}
