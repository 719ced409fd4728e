from bench.cli.app import main

if __name__ == "__main__":  # guarded: spawned worker processes on Windows re-import __main__
    main()
