// Package images checks the image tarballs of `make images` (hack/build-images.sh): that cnat's two
// images are the image the repository's Dockerfile describes, and that the third-party stand-ins have what
// an installation runs in them. It reads the docker archives with the standard library only.
package images

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot: go test runs a package's tests in its directory.
const repoRoot = "../.."

var imagesDir = filepath.Join(repoRoot, "_output", "images")

// dockerfileStage is what the final stage of the Dockerfile says about the image.
type dockerfileStage struct {
	entrypoint []string
	user       string
	binary     string // the destination of the stage's COPY
}

// parseDockerfile reads the final stage (after the last FROM) of a Dockerfile: ENTRYPOINT in its JSON form,
// USER, and the destination of COPY. Enough for this repository's Dockerfile, not a general parser.
func parseDockerfile(t *testing.T, file string) dockerfileStage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var stage dockerfileStage
	var line string
	for raw := range strings.Lines(string(data)) {
		raw = strings.TrimSpace(raw)
		if strings.HasPrefix(raw, "#") || raw == "" {
			continue
		}
		if cont, ok := strings.CutSuffix(raw, `\`); ok {
			line += cont + " "
			continue
		}
		line += raw
		instruction, args, _ := strings.Cut(line, " ")
		line = ""
		switch strings.ToUpper(instruction) {
		case "FROM":
			stage = dockerfileStage{}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(args), &stage.entrypoint); err != nil {
				t.Fatalf("%s: ENTRYPOINT %s: only the JSON form is understood: %v", file, args, err)
			}
		case "USER":
			stage.user = strings.TrimSpace(args)
		case "COPY":
			fields := strings.Fields(args)
			stage.binary = fields[len(fields)-1]
		}
	}
	if stage.binary == "" || len(stage.entrypoint) == 0 {
		t.Fatalf("%s: no COPY or ENTRYPOINT in the final stage", file)
	}
	return stage
}

// imageConfig is the part of an image's config (the OCI/docker image config JSON) the tests look at.
type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Config       struct {
		Entrypoint []string          `json:"Entrypoint"`
		Cmd        []string          `json:"Cmd"`
		User       string            `json:"User"`
		Env        []string          `json:"Env"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
}

// layerFile is one entry of the image's file system.
type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// image is a docker archive read into memory: its tags, config and the file system of its layers.
type image struct {
	repoTags []string
	config   imageConfig
	files    map[string]layerFile // by path without a leading slash
}

// readImage reads a docker archive (`docker save`): manifest.json names the config and the layers, each
// a member of the archive (layers tar or gzipped tar).
func readImage(t *testing.T, short string) *image {
	t.Helper()
	file := filepath.Join(imagesDir, short+".tar")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v: run make images first", err)
	}
	members := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if members[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatalf("%s: %s: %v", file, h.Name, err)
		}
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(members["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("%s: manifest.json: want one image, got %d (%v)", file, len(manifest), err)
	}
	img := &image{repoTags: manifest[0].RepoTags, files: map[string]layerFile{}}
	if err := json.Unmarshal(members[manifest[0].Config], &img.config); err != nil {
		t.Fatalf("%s: config %s: %v", file, manifest[0].Config, err)
	}
	for _, name := range manifest[0].Layers {
		var layer io.Reader = bytes.NewReader(members[name])
		if bytes.HasPrefix(members[name], []byte{0x1f, 0x8b}) {
			if layer, err = gzip.NewReader(layer); err != nil {
				t.Fatalf("%s: layer %s: %v", file, name, err)
			}
		}
		lr := tar.NewReader(layer)
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: layer %s: %v", file, name, err)
			}
			content, err := io.ReadAll(lr)
			if err != nil {
				t.Fatalf("%s: layer %s: %s: %v", file, name, h.Name, err)
			}
			img.files[strings.Trim(path.Clean("/"+h.Name), "/")] = layerFile{hdr: h, data: content}
		}
	}
	return img
}

// file returns the regular file at p, following symbolic links within the image.
func (img *image) file(t *testing.T, p string) layerFile {
	t.Helper()
	p = strings.TrimPrefix(path.Clean(p), "/")
	for range 10 {
		f, ok := img.files[p]
		if !ok {
			t.Fatalf("image %v: no /%s", img.repoTags, p)
		}
		if f.hdr.Typeflag != tar.TypeSymlink {
			return f
		}
		target := f.hdr.Linkname
		if !path.IsAbs(target) {
			target = path.Join(path.Dir("/"+p), target)
		}
		p = strings.TrimPrefix(path.Clean(target), "/")
	}
	t.Fatalf("image %v: /%s: too many symbolic links", img.repoTags, p)
	return layerFile{}
}

// checkStaticExecutable: the regular file at p is executable and a static ELF (no program interpreter,
// i.e. no dynamic loader), as an image without libc needs.
func (img *image) checkStaticExecutable(t *testing.T, p string) layerFile {
	t.Helper()
	f := img.file(t, p)
	if f.hdr.Mode&0o111 == 0 {
		t.Errorf("image %v: %s is not executable (mode %o)", img.repoTags, p, f.hdr.Mode)
	}
	checkStaticELF(t, p, f.data)
	return f
}

func checkStaticELF(t *testing.T, p string, data []byte) {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: not an ELF executable: %v", p, err)
		return
	}
	defer ef.Close()
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Errorf("%s: dynamically linked (has a program interpreter)", p)
		}
	}
}

// checkTags: the archive names the image as the installation does, so that an import replaces a pull.
func (img *image) checkTags(t *testing.T, want string) {
	t.Helper()
	if !slices.Contains(img.repoTags, want) {
		t.Errorf("RepoTags %v, want %s", img.repoTags, want)
	}
}

// TestCnatImagesMatchDockerfile: make images builds cnat-apiserver and cnat-controller without docker, so
// nothing but this test keeps them the image the Dockerfile describes.
func TestCnatImagesMatchDockerfile(t *testing.T) {
	want := parseDockerfile(t, filepath.Join(repoRoot, "Dockerfile"))
	for _, component := range []string{"cnat-apiserver", "cnat-controller"} {
		t.Run(component, func(t *testing.T) {
			img := readImage(t, component)
			cfg := img.config.Config
			if !slices.Equal(cfg.Entrypoint, want.entrypoint) {
				t.Errorf("entrypoint %q, the Dockerfile's %q", cfg.Entrypoint, want.entrypoint)
			}
			if cfg.User != want.user {
				t.Errorf("user %q, the Dockerfile's %q", cfg.User, want.user)
			}
			if img.config.OS != "linux" || img.config.Architecture == "" {
				t.Errorf("platform %s/%s", img.config.OS, img.config.Architecture)
			}
			for _, p := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt"} {
				img.file(t, p)
			}
			bin := img.checkStaticExecutable(t, want.binary)

			// The binary says which version it is; the image's label must say the same.
			exe := filepath.Join(t.TempDir(), component)
			if err := os.WriteFile(exe, bin.data, 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(exe, "--version").Output()
			if err != nil {
				t.Fatalf("%s --version: %v", want.binary, err)
			}
			label := cfg.Labels["org.opencontainers.image.version"]
			if got := strings.TrimSpace(string(out)); got != component+" "+label {
				t.Errorf("%s --version: %q, the image's version label %q", want.binary, got, label)
			}
		})
	}
}

// TestBusybox: the default image of an At runs sh -c with the usual commands, and nothing in it needs
// a dynamic loader (there is no libc in the image).
func TestBusybox(t *testing.T) {
	img := readImage(t, "busybox")
	img.checkTags(t, "docker.io/library/busybox:1.36")
	for _, p := range []string{"/bin/sh", "/bin/busybox", "/bin/echo", "/bin/sleep", "/bin/date"} {
		img.checkStaticExecutable(t, p)
	}
	for p, f := range img.files {
		if f.hdr.Typeflag == tar.TypeReg && bytes.HasPrefix(f.data, []byte(elf.ELFMAG)) {
			checkStaticELF(t, p, f.data)
		}
	}
	if !slices.Equal(img.config.Config.Cmd, []string{"sh"}) {
		t.Errorf("cmd %q, want [sh]", img.config.Config.Cmd)
	}
}

// TestEtcd: the etcd image has what artifacts/deploy/server/etcd.yaml runs and what an operator runs with
// kubectl exec, on PATH; like upstream's it has no shell.
func TestEtcd(t *testing.T) {
	img := readImage(t, "etcd")
	img.checkTags(t, "registry.k8s.io/etcd:3.7.0-0")
	for _, p := range []string{"/usr/local/bin/etcd", "/usr/local/bin/etcdctl", "/usr/local/bin/etcdutl"} {
		img.checkStaticExecutable(t, p)
	}
	if !slices.ContainsFunc(img.config.Config.Env, func(e string) bool {
		return strings.HasPrefix(e, "PATH=") && slices.Contains(strings.Split(e[len("PATH="):], ":"), "/usr/local/bin")
	}) {
		t.Errorf("env %q: no PATH with /usr/local/bin", img.config.Config.Env)
	}
	if _, ok := img.files["bin/sh"]; ok {
		t.Errorf("/bin/sh in the etcd image")
	}
}

// TestPause: the sandbox image's process is static and runs as the user upstream's does.
func TestPause(t *testing.T) {
	img := readImage(t, "pause")
	img.checkTags(t, "registry.k8s.io/pause:3.10.1")
	img.checkStaticExecutable(t, "/pause")
	if cfg := img.config.Config; !slices.Equal(cfg.Entrypoint, []string{"/pause"}) || cfg.User != "65535:65535" {
		t.Errorf("entrypoint %q user %q, want [/pause] 65535:65535", cfg.Entrypoint, cfg.User)
	}
}

// The lines of images.txt name the archives that exist, with the tags they carry.
func TestImagesList(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(imagesDir, "images.txt"))
	if err != nil {
		t.Fatalf("%v: run make images first", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		file, tag, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Errorf("images.txt: %q: want file<TAB>name:tag", sc.Text())
			continue
		}
		readImage(t, strings.TrimSuffix(file, ".tar")).checkTags(t, tag)
	}
}
