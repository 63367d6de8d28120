// orasgo: files pushed and pulled with oras-go v1 (Debian's golang-oras-oras-go-dev), for
// bench/compare. oras_bench_compare builds it in GOPATH mode when `go` and the library are
// installed, and runs it beside oras-cpp and skopeo on the same data:
//
//	orasgo push REF FILE...   (files named relative to the working directory, titled so)
//	orasgo pull REF DIR
//
// Plain http, anonymous: a throwaway local registry.
package main

import (
	"context"
	"fmt"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/pkg/content"
	"oras.land/oras-go/pkg/oras"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "orasgo:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 || (os.Args[1] != "push" && os.Args[1] != "pull") {
		fmt.Fprintln(os.Stderr, "usage: orasgo push REF FILE... | orasgo pull REF DIR")
		os.Exit(2)
	}
	ctx := context.Background()
	ref := os.Args[2]
	registry, err := content.NewRegistry(content.RegistryOptions{PlainHTTP: true})
	if err != nil {
		fail(err)
	}
	if os.Args[1] == "pull" {
		store := content.NewFile(os.Args[3])
		defer store.Close()
		if _, err := oras.Copy(ctx, registry, ref, store, ""); err != nil {
			fail(err)
		}
		return
	}
	store := content.NewFile("")
	defer store.Close()
	var layers []ocispec.Descriptor
	for _, name := range os.Args[3:] {
		desc, err := store.Add(name, ocispec.MediaTypeImageLayer, name)
		if err != nil {
			fail(err)
		}
		layers = append(layers, desc)
	}
	manifest, manifestDesc, config, configDesc, err := content.GenerateManifestAndConfig(nil, nil, layers...)
	if err != nil {
		fail(err)
	}
	if err := store.Load(configDesc, config); err != nil {
		fail(err)
	}
	if err := store.StoreManifest(ref, manifestDesc, manifest); err != nil {
		fail(err)
	}
	if _, err := oras.Copy(ctx, store, ref, registry, ""); err != nil {
		fail(err)
	}
}
