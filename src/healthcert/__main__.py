from healthcert.cli import main

main()
