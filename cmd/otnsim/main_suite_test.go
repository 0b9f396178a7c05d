package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestOtnsim(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "otnsim CLI Suite")
}
