package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("shipping", func() {
	read := func(path string) string {
		raw, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		return string(raw)
	}

	It("builds a static, version-stamped binary in the Dockerfile and runs it as a non-root user", func() {
		df := read("../../Dockerfile")
		Expect(df).To(ContainSubstring("CGO_ENABLED=0 go build"))
		Expect(df).To(ContainSubstring("-X main.version=${VERSION}"))
		Expect(df).To(MatchRegexp(`(?m)^USER nonroot`))
		Expect(df).To(MatchRegexp(`(?m)^FROM gcr\.io/distroless/static`))
		Expect(df).To(MatchRegexp(`(?m)^ENTRYPOINT \["/usr/local/bin/otnsim"\]`))
	})

	It("stamps the version in the release configuration", func() {
		gr := read("../../.goreleaser.yaml")
		Expect(gr).To(ContainSubstring("-X main.version={{.Version}}"))
		Expect(gr).To(ContainSubstring("CGO_ENABLED=0"))
		Expect(gr).To(ContainSubstring("main: ./cmd/otnsim"))
	})

	It("builds the container image where a container builder is available", func() {
		if exec.Command("docker", "info").Run() != nil {
			Skip("no container builder reachable here (docker info fails)")
		}
		tag := "otnsim-test:" + strings.ToLower(regexp.MustCompile(`\W`).ReplaceAllString(CurrentSpecReport().LeafNodeText, "")[:12])
		build := exec.Command("docker", "build", "--build-arg", "VERSION=v0.0.0-docker-test", "-t", tag, "../..")
		build.Stdout, build.Stderr = GinkgoWriter, GinkgoWriter
		Expect(build.Run()).To(Succeed())
		out, err := exec.Command("docker", "run", "--rm", tag, "version").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(ContainSubstring("v0.0.0-docker-test"))
		out, err = exec.Command("docker", "run", "--rm", "--entrypoint", "", tag, "id", "-u").CombinedOutput()
		if err == nil { // distroless has no id; where it has, the user is not root
			Expect(strings.TrimSpace(string(out))).NotTo(Equal("0"))
		}
	})
})
