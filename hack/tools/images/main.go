// Command images assembles one container image from files on this machine and writes it as a
// docker-archive tarball (what `docker save` writes, what `ctr images import` and `docker load` read):
// hack/build-images.sh builds the images a cnat installation pulls with it, without docker and without
// pulling a base image from a registry.
//
// The image has one layer. The same inputs give the same digest: entries are sorted, their mtimes are
// fixed (--mtime, default $SOURCE_DATE_EPOCH or 0), files belong to uid/gid 0 and their modes are normalized.
//
//	images --file _output/bin/etcd:/usr/local/bin/etcd --env PATH=/usr/local/bin:/bin \
//	    --entrypoint /usr/local/bin/etcd --tag registry.k8s.io/etcd:3.7.0-0 --out etcd.tar
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	files, symlinks, dirs, accounts    list
	entrypoint, cmd, env, labels, tags list
	user, workdir, out                 string
	mtime                              int64
}

func main() {
	var o options
	flag.Var(&o.files, "file", "src:dest[:mode] a file of this machine at dest in the image (mode in octal; default 0755 if src is executable, else 0644)")
	flag.Var(&o.symlinks, "symlink", "dest:target a symbolic link")
	flag.Var(&o.dirs, "dir", "dest[:mode[:uid:gid]] a directory (default 0755, owned by 0:0); parents of every entry are added as 0755 0:0")
	flag.Var(&o.accounts, "account", "name:uid:gid:home[:shell] a user and its group of the same name, written to /etc/passwd and /etc/group (shell: default /sbin/nologin)")
	flag.Var(&o.entrypoint, "entrypoint", "an argument of ENTRYPOINT, in order")
	flag.Var(&o.cmd, "cmd", "an argument of CMD, in order")
	flag.Var(&o.env, "env", "KEY=VALUE of the image's environment")
	flag.Var(&o.labels, "label", "key=value label")
	flag.Var(&o.tags, "tag", "name:tag the image is known by in the archive (RepoTags); at least one")
	flag.StringVar(&o.user, "user", "", "USER, e.g. 65532:65532")
	flag.StringVar(&o.workdir, "workdir", "", "WORKDIR")
	flag.StringVar(&o.out, "out", "", "the docker-archive tarball to write")
	flag.Int64Var(&o.mtime, "mtime", sourceDateEpoch(), "seconds since the epoch: every entry's mtime and the image's creation time")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

// sourceDateEpoch is the reproducible-builds convention for a fixed build time.
func sourceDateEpoch() int64 {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return s
	}
	return 0
}

func run(o options) error {
	if o.out == "" || len(o.tags) == 0 || flag.NArg() > 0 {
		return fmt.Errorf("usage: --out file.tar --tag name:tag [--file src:dest ...] (see -help)")
	}
	created := time.Unix(o.mtime, 0).UTC()
	entries, err := collect(o)
	if err != nil {
		return err
	}
	layerTar, err := writeLayer(entries, created)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "hack/tools/images",
	}})
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", runtime.GOARCH, v1.Time{Time: created}
	cf.Config.Entrypoint, cf.Config.Cmd = o.entrypoint, o.cmd
	cf.Config.User, cf.Config.WorkingDir, cf.Config.Env = o.user, o.workdir, o.env
	if len(o.labels) > 0 {
		cf.Config.Labels = map[string]string{}
		for _, l := range o.labels {
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				return fmt.Errorf("--label %q: want key=value", l)
			}
			cf.Config.Labels[k] = v
		}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	refs := map[name.Reference]v1.Image{}
	for _, t := range o.tags {
		tag, err := name.NewTag(t, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("--tag %q: %w", t, err)
		}
		refs[tag] = img
	}
	// A whole file or none: an interrupted build leaves no truncated archive behind for an import.
	tmp := o.out + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		return err
	}
	if err := os.Rename(tmp, o.out); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s\t%s\t%s\n", o.out, strings.Join(o.tags, ","), digest)
	return nil
}

// entry is one member of the layer; path is relative to / without a leading slash.
type entry struct {
	path, target string // target: of a symlink
	typ          byte
	mode         int64
	uid, gid     int
	data         []byte
}

// collect turns the flags into the layer's entries, keyed by path: a path given twice is an error rather
// than a silent choice of one of them.
func collect(o options) (map[string]*entry, error) {
	entries := map[string]*entry{}
	add := func(e *entry) error {
		e.path = strings.TrimPrefix(path.Clean("/"+e.path), "/")
		if e.path == "" {
			return fmt.Errorf("an entry at / itself")
		}
		if _, dup := entries[e.path]; dup {
			return fmt.Errorf("/%s given twice", e.path)
		}
		entries[e.path] = e
		return nil
	}
	for _, f := range o.files {
		parts := strings.Split(f, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("--file %q: want src:dest[:mode]", f)
		}
		data, err := os.ReadFile(parts[0])
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(parts[0])
		if err != nil {
			return nil, err
		}
		mode := int64(0o644)
		if fi.Mode()&0o100 != 0 {
			mode = 0o755
		}
		if len(parts) == 3 {
			if mode, err = strconv.ParseInt(parts[2], 8, 64); err != nil {
				return nil, fmt.Errorf("--file %q: mode: %w", f, err)
			}
		}
		if err := add(&entry{path: parts[1], typ: tar.TypeReg, mode: mode, data: data}); err != nil {
			return nil, err
		}
	}
	for _, s := range o.symlinks {
		dest, target, ok := strings.Cut(s, ":")
		if !ok || target == "" {
			return nil, fmt.Errorf("--symlink %q: want dest:target", s)
		}
		if err := add(&entry{path: dest, typ: tar.TypeSymlink, mode: 0o777, target: target}); err != nil {
			return nil, err
		}
	}
	for _, d := range o.dirs {
		parts := strings.Split(d, ":")
		e := &entry{path: parts[0], typ: tar.TypeDir, mode: 0o755}
		var err error
		switch len(parts) {
		case 4:
			if e.uid, err = strconv.Atoi(parts[2]); err == nil {
				e.gid, err = strconv.Atoi(parts[3])
			}
			fallthrough
		case 2:
			if err == nil {
				e.mode, err = strconv.ParseInt(parts[1], 8, 64)
			}
		case 1:
		default:
			err = fmt.Errorf("want dest[:mode[:uid:gid]]")
		}
		if err != nil {
			return nil, fmt.Errorf("--dir %q: %w", d, err)
		}
		if err := add(e); err != nil {
			return nil, err
		}
	}
	if len(o.accounts) > 0 {
		passwd, group, err := accounts(o.accounts)
		if err != nil {
			return nil, err
		}
		if err := add(&entry{path: "etc/passwd", typ: tar.TypeReg, mode: 0o644, data: passwd}); err != nil {
			return nil, err
		}
		if err := add(&entry{path: "etc/group", typ: tar.TypeReg, mode: 0o644, data: group}); err != nil {
			return nil, err
		}
	}
	// Parents of every entry, so that the layer unpacks the same whatever the unpacker does about
	// missing directories.
	for p := range entries {
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if _, ok := entries[dir]; !ok {
				entries[dir] = &entry{path: dir, typ: tar.TypeDir, mode: 0o755}
			}
		}
	}
	return entries, nil
}

// accounts writes /etc/passwd and /etc/group for name:uid:gid:home[:shell] users, as distroless does: no
// password and, unless given, no login shell.
func accounts(specs []string) (passwd, group []byte, err error) {
	var p, g bytes.Buffer
	for _, s := range specs {
		parts := strings.Split(s, ":")
		if len(parts) == 4 {
			parts = append(parts, "/sbin/nologin")
		}
		if len(parts) != 5 {
			return nil, nil, fmt.Errorf("--account %q: want name:uid:gid:home[:shell]", s)
		}
		for _, id := range parts[1:3] {
			if _, err := strconv.Atoi(id); err != nil {
				return nil, nil, fmt.Errorf("--account %q: %w", s, err)
			}
		}
		fmt.Fprintf(&p, "%s:x:%s:%s:%s:%s:%s\n", parts[0], parts[1], parts[2], parts[0], parts[3], parts[4])
		fmt.Fprintf(&g, "%s:x:%s:\n", parts[0], parts[2])
	}
	return p.Bytes(), g.Bytes(), nil
}

// writeLayer writes the entries in path order (a parent sorts before its children) as an uncompressed tar.
func writeLayer(entries map[string]*entry, mtime time.Time) ([]byte, error) {
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		e := entries[p]
		h := &tar.Header{
			Typeflag: e.typ, Name: e.path, Linkname: e.target, Mode: e.mode,
			Uid: e.uid, Gid: e.gid, Size: int64(len(e.data)), ModTime: mtime,
		}
		if e.typ == tar.TypeDir {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
