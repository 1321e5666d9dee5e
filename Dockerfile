# Build: docker build -t changenotifications .
# Run:   docker run -p 8080:8080 -v cn-data:/app/data changenotifications
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ChangeNotifications.sln ./
COPY src/ src/
RUN dotnet publish src/ChangeNotifications/ChangeNotifications.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The data folder belongs to the image's non-root user (APP_UID, set by the .NET images) before it is declared a
# volume: Docker copies that ownership into a new named volume, so the service can create its SQLite file there.
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
ENV Storage__SqlitePath=/app/data/changenotifications.db
VOLUME /app/data
# The base image sets ASPNETCORE_HTTP_PORTS=8080 (all interfaces); a host's PORT, or ASPNETCORE_URLS, overrides it.
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "ChangeNotifications.dll"]
