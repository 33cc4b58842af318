// Command mats-go-verify checks a mats transparency log with Go's own
// golang.org/x/mod/sumdb/{note,tlog} (Debian golang-golang-x-mod-dev, Go 1.19,
// GOPATH mode). It is an independent verifier: nothing here is derived from
// mats's C++ code.
//
//	mats-go-verify -url http://127.0.0.1:PORT -vkey <verifier key> -origin <origin> \
//	    [-old checkpoint-file]... [-min-size N]
//
// It
//  1. fetches <url>/checkpoint and opens it with note.Open against -vkey,
//  2. parses the C2SP checkpoint body (origin, size, base64 root),
//  3. reads C2SP tiles (tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>])
//     through a tlog.TileReader of height 8 and authenticates them with
//     tlog.TileHashReader against the signed root,
//  4. for every entry: tlog.ProveRecord + tlog.CheckRecord of its record hash,
//     and the server's JSON inclusion proof checked with tlog.CheckRecord,
//  5. for every -old checkpoint (saved earlier): note.Open, tlog.ProveTree +
//     tlog.CheckTree against the new signed root, and the server's JSON
//     consistency proof checked with tlog.CheckTree,
//  6. for every size 1..N: tlog.TreeHash from authenticated tiles, and the
//     server's JSON consistency proof from that size checked with CheckTree.
//
// Exit status 0 when everything verifies, 1 otherwise (with a message).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

var client = &http.Client{Timeout: 20 * time.Second}

func get(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// c2spPath maps a Go tile to its C2SP tlog-tiles path: Go's Tile.Path() is
// "tile/8/<L>/<N>[.p/<W>]" ("tile/8/data/<N>" for L = -1); C2SP drops the
// height and calls the data tiles "entries".
func c2spPath(t tlog.Tile) (string, error) {
	if t.H != tileHeight {
		return "", fmt.Errorf("unexpected tile height %d", t.H)
	}
	p := t.Path()
	prefix := fmt.Sprintf("tile/%d/", tileHeight)
	if !strings.HasPrefix(p, prefix) {
		return "", fmt.Errorf("unexpected Go tile path %q", p)
	}
	rest := strings.TrimPrefix(p, prefix)
	if strings.HasPrefix(rest, "data/") {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest, nil
}

// tileReader implements tlog.TileReader over HTTP with a cache.
type tileReader struct {
	base  string
	cache map[string][]byte
	reads int
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p, err := c2spPath(t)
		if err != nil {
			return nil, err
		}
		if d, ok := r.cache[p]; ok {
			out[i] = d
			continue
		}
		d, err := get(r.base + "/" + p)
		if err != nil {
			return nil, err
		}
		r.reads++
		out[i] = d
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	// Called only for tiles that were authenticated against the tree hash.
	for i, t := range tiles {
		if p, err := c2spPath(t); err == nil {
			r.cache[p] = data[i]
		}
	}
}

type checkpoint struct {
	origin string
	size   int64
	hash   tlog.Hash
}

func openCheckpoint(msg []byte, verifier note.Verifier, origin string) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, fmt.Errorf("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return checkpoint{}, fmt.Errorf("checkpoint body has %d lines", len(lines))
	}
	if lines[0] != origin {
		return checkpoint{}, fmt.Errorf("origin %q, want %q", lines[0], origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("bad root hash %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], raw)
	return checkpoint{origin: lines[0], size: size, hash: h}, nil
}

type proofJSON struct {
	Index    *int64   `json:"index"`
	TreeSize int64    `json:"tree_size"`
	First    int64    `json:"first"`
	Second   int64    `json:"second"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

func decodeHashes(hs []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(hs))
	for i, s := range hs {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("bad proof hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

func jsonProof(url string) (proofJSON, []tlog.Hash, error) {
	body, err := get(url)
	if err != nil {
		return proofJSON{}, nil, err
	}
	var p proofJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return proofJSON{}, nil, fmt.Errorf("%s: %v", url, err)
	}
	hs, err := decodeHashes(p.Proof)
	return p, hs, err
}

// readEntries fetches every entry bundle of a tree of the given size.
func readEntries(base string, size int64) ([][]byte, error) {
	var entries [][]byte
	for n := int64(0); n*256 < size; n++ {
		t := tlog.Tile{H: tileHeight, L: -1, N: n, W: 256}
		if rem := size - n*256; rem < 256 {
			t.W = int(rem)
		}
		p, err := c2spPath(t)
		if err != nil {
			return nil, err
		}
		data, err := get(base + "/" + p)
		if err != nil {
			return nil, err
		}
		for k := 0; k < t.W; k++ {
			if len(data) < 2 {
				return nil, fmt.Errorf("%s: truncated at entry %d", p, k)
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				return nil, fmt.Errorf("%s: entry %d overruns bundle", p, k)
			}
			entries = append(entries, data[2:2+l])
			data = data[2+l:]
		}
		if len(data) != 0 {
			return nil, fmt.Errorf("%s: %d trailing bytes", p, len(data))
		}
	}
	return entries, nil
}

func run() error {
	url := flag.String("url", "", "log base URL, e.g. http://127.0.0.1:8080")
	vkey := flag.String("vkey", "", "log verifier key (name+hash+base64)")
	origin := flag.String("origin", "", "expected checkpoint origin")
	minSize := flag.Int64("min-size", 1, "fail if the tree is smaller")
	var olds stringList
	flag.Var(&olds, "old", "earlier signed checkpoint file to check consistency with (repeatable)")
	flag.Parse()
	if *url == "" || *vkey == "" || *origin == "" {
		return errors.New("usage: mats-go-verify -url URL -vkey VKEY -origin ORIGIN [-old FILE]...")
	}
	base := strings.TrimRight(*url, "/")
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("note.NewVerifier: %v", err)
	}

	msg, err := get(base + "/checkpoint")
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(msg, verifier, *origin)
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	if cp.size < *minSize {
		return fmt.Errorf("tree size %d < %d", cp.size, *minSize)
	}
	if cp.size == 0 {
		// Go's TreeHash(0) is all zeros; C2SP uses SHA-256("").
		if cp.hash != tlog.Hash(sha256.Sum256(nil)) {
			return errors.New("empty tree root is not SHA-256(\"\")")
		}
		fmt.Println("ok: empty tree")
		return nil
	}
	tr := &tileReader{base: base, cache: map[string][]byte{}}
	hr := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.hash}, tr)

	// The tiles must reproduce the signed root.
	th, err := tlog.TreeHash(cp.size, hr)
	if err != nil {
		return fmt.Errorf("TreeHash(%d): %v", cp.size, err)
	}
	if th != cp.hash {
		return fmt.Errorf("tiles hash to %v, checkpoint says %v", th, cp.hash)
	}

	entries, err := readEntries(base, cp.size)
	if err != nil {
		return err
	}
	if int64(len(entries)) != cp.size {
		return fmt.Errorf("%d entries, want %d", len(entries), cp.size)
	}
	for i, e := range entries {
		id := int64(i)
		rh := tlog.RecordHash(e)
		p, err := tlog.ProveRecord(cp.size, id, hr)
		if err != nil {
			return fmt.Errorf("ProveRecord(%d): %v", id, err)
		}
		if err := tlog.CheckRecord(p, cp.size, cp.hash, id, rh); err != nil {
			return fmt.Errorf("CheckRecord(%d) with tile proof: %v", id, err)
		}
		jp, hs, err := jsonProof(fmt.Sprintf("%s/api/v1/proof/inclusion?index=%d&tree_size=%d", base, id, cp.size))
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(tlog.RecordProof(hs), cp.size, cp.hash, id, rh); err != nil {
			return fmt.Errorf("CheckRecord(%d) with server JSON proof: %v", id, err)
		}
		if jp.LeafHash != hex.EncodeToString(rh[:]) {
			return fmt.Errorf("entry %d: server leaf hash %s, Go RecordHash %v", id, jp.LeafHash, rh)
		}
	}

	for _, f := range olds {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		old, err := openCheckpoint(raw, verifier, *origin)
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		if old.size > cp.size {
			return fmt.Errorf("%s: rollback: old size %d > current %d", f, old.size, cp.size)
		}
		if old.size == 0 {
			continue
		}
		p, err := tlog.ProveTree(cp.size, old.size, hr)
		if err != nil {
			return fmt.Errorf("ProveTree(%d,%d): %v", cp.size, old.size, err)
		}
		if err := tlog.CheckTree(p, cp.size, cp.hash, old.size, old.hash); err != nil {
			return fmt.Errorf("%s: CheckTree with tile proof: %v", f, err)
		}
		_, hs, err := jsonProof(fmt.Sprintf("%s/api/v1/proof/consistency?first=%d&second=%d", base, old.size, cp.size))
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(tlog.TreeProof(hs), cp.size, cp.hash, old.size, old.hash); err != nil {
			return fmt.Errorf("%s: CheckTree with server JSON proof: %v", f, err)
		}
	}

	for n := int64(1); n <= cp.size; n++ {
		h, err := tlog.TreeHash(n, hr)
		if err != nil {
			return fmt.Errorf("TreeHash(%d): %v", n, err)
		}
		_, hs, err := jsonProof(fmt.Sprintf("%s/api/v1/proof/consistency?first=%d&second=%d", base, n, cp.size))
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(tlog.TreeProof(hs), cp.size, cp.hash, n, h); err != nil {
			return fmt.Errorf("CheckTree(%d -> %d) with server JSON proof: %v", n, cp.size, err)
		}
	}
	fmt.Printf("ok: size %d, %d entries, %d old checkpoints, %d tiles fetched\n", cp.size, len(entries), len(olds), tr.reads)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mats-go-verify:", err)
		os.Exit(1)
	}
}
