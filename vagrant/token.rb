# frozen_string_literal: true

require "fileutils"
require "securerandom"

module CiliumLab
  # The kubeadm bootstrap token workers join with. It is made once per checkout and kept in
  # .vagrant/ (git-ignored, mode 0600) rather than in settings.yaml, so no two courses share one.
  module BootstrapToken
    FORMAT = /\A[a-z0-9]{6}\.[a-z0-9]{16}\z/.freeze
    ALPHABET = [*"a".."z", *"0".."9"].freeze

    def self.load_or_create(path)
      if File.file?(path)
        token = File.read(path).strip
        return token if FORMAT.match?(token)

        raise ConfigError, "#{path}: #{token.inspect} is not a kubeadm token; delete the file to make a new one."
      end
      token = "#{random(6)}.#{random(16)}"
      FileUtils.mkdir_p(File.dirname(path))
      File.open(path, File::WRONLY | File::CREAT | File::EXCL, 0o600) { |f| f.write("#{token}\n") }
      token
    end

    def self.random(length)
      Array.new(length) { ALPHABET[SecureRandom.random_number(ALPHABET.length)] }.join
    end
  end
end
