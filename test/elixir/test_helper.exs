# Loaded before test/elixir/epcap_test.exs; `make exunit` runs both:
#
#     elixir -pa ebin -pa _build/examples \
#         -r test/elixir/test_helper.exs -r test/elixir/epcap_test.exs
#
# No mix project and no dependencies: the compiled Erlang code of the
# project (make all examples) is all it needs, so it works offline. The
# code paths are added here too, so the -pa flags are optional.
#
# The live tests (tagged :root) capture on lo and need root. Otherwise
# they are excluded with a message, except under CI=true, where they run
# and fail: a CI run that skips every live test proves nothing.

repo = Path.expand("../..", __DIR__)

for dir <- ["ebin", "_build/examples"] do
  Code.prepend_path(Path.join(repo, dir))
end

for mod <- [:epcap, :epcap_samplegen] do
  unless Code.ensure_loaded?(mod) do
    IO.puts(:stderr, "test_helper: module #{mod} not found: run `make all examples` first")
    System.halt(1)
  end
end

defmodule EpcapTest.Env do
  @moduledoc false

  def repo, do: unquote(repo)
  def root?, do: match?({"0\n", 0}, System.cmd("id", ["-u"]))
  def ci?, do: System.get_env("CI") == "true"

  # A fresh directory for the calling test (call it from setup), removed
  # after it. The OS pid too: unique_integer starts afresh in every VM,
  # and two runs at once must not remove each other's files.
  def tmp_dir!(tag) do
    dir =
      Path.join(
        System.tmp_dir!(),
        "#{tag}_#{System.pid()}_#{System.unique_integer([:positive])}"
      )

    File.mkdir_p!(dir)
    ExUnit.Callbacks.on_exit(fn -> File.rm_rf!(dir) end)
    dir
  end
end

exclude =
  cond do
    EpcapTest.Env.root?() ->
      []

    EpcapTest.Env.ci?() ->
      []

    true ->
      IO.puts("epcap_test: not root: skipping the live capture tests (tagged :root)")
      [:root]
  end

ExUnit.start(exclude: exclude, timeout: 60_000)
