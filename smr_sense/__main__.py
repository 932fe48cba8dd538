from smr_sense.cli import main

raise SystemExit(main())
